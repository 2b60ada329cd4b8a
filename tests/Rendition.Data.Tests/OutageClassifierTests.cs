using Microsoft.Data.Sqlite;
using Npgsql;
using Rendition.Core;
using Rendition.Data.Postgres;
using Rendition.Data.Sqlite;
using Rendition.Data.Tests.Infrastructure;

namespace Rendition.Data.Tests;

/// <summary>Each store's classifier against its real driver's errors: outages are recognised, bugs and bad data are not.</summary>
public sealed class OutageClassifierTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rendition-outages-").FullName;

    private string DbPath => Path.Combine(_dir, "test.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<Exception> FailureAsync(Func<Task> action) => await Assert.ThrowsAnyAsync<Exception>(action);

    private async Task<SqliteConnection> OpenAsync(int timeoutSeconds = 30)
    {
        var c = new SqliteConnection($"Data Source={DbPath};Pooling=False;Default Timeout={timeoutSeconds}");
        await c.OpenAsync();
        return c;
    }

    private static async Task ExecAsync(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Sqlite_LockedPastTheBusyTimeout_IsADatabaseOutage()
    {
        await using var holder = await OpenAsync();
        await ExecAsync(holder, "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER);");
        await ExecAsync(holder, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1);");
        await using var writer = await OpenAsync(timeoutSeconds: 1);
        var error = await FailureAsync(() => ExecAsync(writer, "INSERT INTO t VALUES (2)"));
        var outage = new SqliteOutages().Classify(error);
        Assert.Equal(Dependencies.Database, outage?.Dependency);
        Assert.Contains("locked", outage!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlite_OutOfSpace_IsADatabaseOutage()
    {
        await using var c = await OpenAsync();
        // A database capped at a few pages fills up as a full disk does, with the same error.
        await ExecAsync(c, "CREATE TABLE t (x BLOB); PRAGMA max_page_count = 4;");
        var error = await FailureAsync(() => ExecAsync(c, "INSERT INTO t VALUES (zeroblob(100000))"));
        Assert.Equal(13, ((SqliteException)error).SqliteErrorCode);
        Assert.Contains("full", new SqliteOutages().Classify(error)!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlite_AFileThatCannotBeOpened_IsAnOutage_ButBadSqlAndConstraintsAreNot()
    {
        var missing = new SqliteConnection($"Data Source={Path.Combine(_dir, "gone", "x.db")};Mode=ReadWrite;Pooling=False");
        var cannotOpen = await FailureAsync(() => missing.OpenAsync());
        Assert.NotNull(new SqliteOutages().Classify(cannotOpen));

        await using var c = await OpenAsync();
        await ExecAsync(c, "CREATE TABLE u (x INTEGER PRIMARY KEY)");
        await ExecAsync(c, "INSERT INTO u VALUES (1)");
        Assert.Null(new SqliteOutages().Classify(await FailureAsync(() => ExecAsync(c, "INSERT INTO u VALUES (1)"))));
        Assert.Null(new SqliteOutages().Classify(await FailureAsync(() => ExecAsync(c, "SELEC nonsense"))));
    }

    [Fact]
    public async Task Postgres_Unreachable_IsADatabaseOutage()
    {
        // A loopback port nothing listens on: connection refused, as when the server is stopped.
        var port = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        port.Start();
        var closed = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        await using var db = new PostgresDatabase($"Host=127.0.0.1;Port={closed};Username=x;Database=x;Timeout=5");
        var error = await FailureAsync(async () => await db.OpenAsync(CancellationToken.None));
        var outage = new PostgresOutages(db).Classify(error);
        Assert.Equal(Dependencies.Database, outage?.Dependency);
        Assert.Contains("cannot be reached", outage!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_AConnectionTheServerTerminated_IsAnOutage_AndClearsThePool_ButBadSqlIsNot()
    {
        await using var backend = await PostgresBackend.CreateAsync();
        var db = backend.Database;
        var classifier = new PostgresOutages(db);
        int pid;
        await using (var c = await db.OpenAsync(CancellationToken.None))
        await using (var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", c))
        {
            pid = (int)(await cmd.ExecuteScalarAsync())!;
            Assert.Null(classifier.Classify(await FailureAsync(() => new NpgsqlCommand("SELEC 1", c).ExecuteNonQueryAsync())));
        }
        // As a restart does to every pooled connection: the server ends it (57P01, admin shutdown).
        await using (var admin = new NpgsqlConnection(PostgresBackend.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend({pid})", admin);
            await kill.ExecuteNonQueryAsync();
        }
        Exception error;
        await using (var stale = await db.OpenAsync(CancellationToken.None))
        {
            error = await FailureAsync(() => new NpgsqlCommand("SELECT 1", stale).ExecuteScalarAsync());
        }
        Assert.Equal(Dependencies.Database, classifier.Classify(error)?.Dependency);
        // The pool was cleared, so the next request gets a live connection.
        await using var fresh = await db.OpenAsync(CancellationToken.None);
        Assert.Equal(1, (int)(await new NpgsqlCommand("SELECT 1", fresh).ExecuteScalarAsync())!);
    }
}
