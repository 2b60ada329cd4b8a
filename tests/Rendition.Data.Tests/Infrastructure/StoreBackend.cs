using Npgsql;
using Rendition.Core.Presets;
using Rendition.Core.Storage;
using Rendition.Core.Webhooks;
using Rendition.Data.Postgres;
using Rendition.Data.Sqlite;

namespace Rendition.Data.Tests.Infrastructure;

/// <summary>A clock the tests move by hand, so lease expiry and retention are exact rather than slept for.</summary>
public sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public long NowMs => Now.ToUnixTimeMilliseconds();

    public void Advance(TimeSpan by) => Now += by;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>One freshly migrated, empty store of one kind, with all its interfaces.</summary>
public abstract class StoreBackend(ManualClock clock) : IAsyncDisposable
{
    public ManualClock Clock { get; } = clock;

    public abstract IAccountStore Accounts { get; }

    public abstract ICommandStore Commands { get; }

    public abstract IFileStore Files { get; }

    public abstract IWebhookStore Webhooks { get; }

    public abstract IPresetStore Presets { get; }

    public abstract ValueTask DisposeAsync();
}

/// <summary>A SQLite file in a temp directory.</summary>
public sealed class SqliteBackend : StoreBackend
{
    private readonly string _dir;

    private SqliteBackend(string dir, SqliteDatabase db, ManualClock clock)
        : base(clock)
    {
        _dir = dir;
        Database = db;
        Accounts = new SqliteAccountStore(db, clock);
        Commands = new SqliteCommandStore(db, clock);
        Files = new SqliteFileStore(db);
        Webhooks = new SqliteWebhookStore(db, clock);
        Presets = new SqlitePresetStore(db);
    }

    public SqliteDatabase Database { get; }

    public override IAccountStore Accounts { get; }

    public override ICommandStore Commands { get; }

    public override IFileStore Files { get; }

    public override IWebhookStore Webhooks { get; }

    public override IPresetStore Presets { get; }

    public static async Task<SqliteBackend> CreateAsync()
    {
        var dir = Directory.CreateTempSubdirectory("rendition-store-").FullName;
        var db = new SqliteDatabase(Path.Combine(dir, "rendition.db"));
        await db.MigrateAsync(CancellationToken.None);
        return new SqliteBackend(dir, db, new ManualClock());
    }

    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>A new database of its own on the test PostgreSQL cluster (queue claims and NOTIFY are database-wide, so tests cannot share one).</summary>
public sealed class PostgresBackend : StoreBackend
{
    public const string EnvironmentVariable = "RENDITION_TEST_POSTGRES";

    private readonly string _databaseName;

    private PostgresBackend(string databaseName, PostgresDatabase db, ManualClock clock)
        : base(clock)
    {
        _databaseName = databaseName;
        Database = db;
        Accounts = new PostgresAccountStore(db, clock);
        Commands = new PostgresCommandStore(db, clock);
        Files = new PostgresFileStore(db);
        Webhooks = new PostgresWebhookStore(db, clock);
        Presets = new PostgresPresetStore(db);
    }

    public PostgresDatabase Database { get; }

    public override IAccountStore Accounts { get; }

    public override ICommandStore Commands { get; }

    public override IFileStore Files { get; }

    public override IWebhookStore Webhooks { get; }

    public override IPresetStore Presets { get; }

    /// <summary>The cluster `make test` started; without it the PostgreSQL tests fail, so a missing database is never mistaken for a pass.</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: run the tests with `make test`, which starts a private PostgreSQL cluster, or point it at a server where this user may create databases.");

    public static async Task<string> CreateDatabaseAsync()
    {
        var name = $"rendition_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task<PostgresBackend> CreateAsync()
    {
        var cs = await CreateDatabaseAsync();
        var db = new PostgresDatabase(cs);
        await db.MigrateAsync(CancellationToken.None);
        return new PostgresBackend(new NpgsqlConnectionStringBuilder(cs).Database!, db, new ManualClock());
    }

    public override async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>Shorthands for the tests.</summary>
public static class StoreTestExtensions
{
    /// <summary>Inserts without an idempotency key (the account is the first command's).</summary>
    public static Task<bool> InsertAsync(this ICommandStore store, IReadOnlyList<CommandRecord> commands, CancellationToken ct) =>
        store.InsertAsync(commands, commands[0].AccountId, null, ct);
}
