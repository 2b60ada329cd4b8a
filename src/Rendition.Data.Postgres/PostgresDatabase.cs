using Npgsql;
using NpgsqlTypes;
using Rendition.Core.Storage;

namespace Rendition.Data.Postgres;

/// <summary>The shared PostgreSQL job store: one pooled data source, and versioned migrations recorded in <c>schema_migrations</c>.</summary>
public sealed class PostgresDatabase : IStoreMigrator, IAsyncDisposable, IDisposable
{
    /// <summary>The channel NOTIFY wakes workers on; LISTEN/NOTIFY is per database, so clusters sharing a server do not cross.</summary>
    public const string JobChannel = "rendition_jobs";

    // Advisory lock key (any constant): nodes starting together take turns applying migrations instead of racing.
    private const long MigrationLockKey = 0x52454E44_4D494752;

    // One migration per SQLite migration, with the same logical schema: uuid for ids, bigint unix-ms times, boolean flags.
    // `seq` stands in for SQLite's rowid where rows created in the same millisecond need a stable order.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE accounts (
            id uuid PRIMARY KEY,
            name text NOT NULL UNIQUE,
            created_at bigint NOT NULL
        );
        CREATE TABLE api_keys (
            id uuid PRIMARY KEY,
            account_id uuid NOT NULL REFERENCES accounts(id),
            key_hash text NOT NULL UNIQUE,
            display_prefix text NOT NULL,
            label text,
            created_at bigint NOT NULL,
            last_used_at bigint,
            revoked_at bigint
        );
        CREATE INDEX ix_api_keys_account ON api_keys(account_id);
        CREATE TABLE commands (
            id uuid PRIMARY KEY,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            account_id uuid NOT NULL REFERENCES accounts(id),
            status text NOT NULL,
            command_type text NOT NULL,
            flavor integer NOT NULL,
            request_json text NOT NULL,
            metadata_json text,
            webhook_url text,
            max_seconds integer NOT NULL,
            vcpu_count integer NOT NULL,
            created_at bigint NOT NULL,
            started_at bigint,
            completed_at bigint,
            ffmpeg_seconds double precision,
            error_status text,
            error_message text,
            attempts integer NOT NULL DEFAULT 0,
            lease_token uuid,
            lease_expires_at bigint
        );
        CREATE INDEX ix_commands_queue ON commands(status, created_at);
        CREATE INDEX ix_commands_account ON commands(account_id, created_at DESC);
        CREATE TABLE files (
            id uuid PRIMARY KEY,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            account_id uuid NOT NULL REFERENCES accounts(id),
            command_id uuid REFERENCES commands(id),
            alias text,
            filename text NOT NULL,
            status text NOT NULL,
            store_type text NOT NULL,
            storage_key text NOT NULL,
            size_bytes bigint,
            media_json text,
            is_deleted boolean NOT NULL DEFAULT false,
            created_at bigint NOT NULL,
            original_file_url text,
            error_status text,
            error_message text
        );
        CREATE INDEX ix_files_command ON files(command_id);
        CREATE INDEX ix_files_account ON files(account_id, created_at DESC);
        """,
        """
        CREATE INDEX ix_commands_account_status ON commands(account_id, status, created_at DESC);
        CREATE INDEX ix_commands_account_type ON commands(account_id, command_type, created_at DESC);
        -- Requeueing expired leases scans only running jobs.
        CREATE INDEX ix_commands_leases ON commands(lease_expires_at) WHERE status = 'PROCESSING';
        """,
        """
        ALTER TABLE files ADD COLUMN display_name text;
        CREATE INDEX ix_files_processing ON files(status) WHERE status = 'PROCESSING';
        """,
        """
        CREATE TABLE webhook_configs (
            account_id uuid PRIMARY KEY REFERENCES accounts(id),
            url text NOT NULL,
            secret text NOT NULL,
            is_active boolean NOT NULL,
            consecutive_failures integer NOT NULL DEFAULT 0,
            disabled_at bigint,
            updated_at bigint NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            id uuid PRIMARY KEY,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            command_id uuid NOT NULL REFERENCES commands(id),
            account_id uuid NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            created_at bigint NOT NULL,
            next_attempt_at bigint NOT NULL
        );
        CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'PENDING';
        CREATE INDEX ix_webhook_deliveries_command ON webhook_deliveries(command_id);
        CREATE TABLE webhook_attempts (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id),
            attempted_at bigint NOT NULL,
            url text NOT NULL,
            http_status integer,
            error text,
            duration_ms integer NOT NULL
        );
        CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts(delivery_id);
        """,
        """
        CREATE TABLE presets (
            id text PRIMARY KEY,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            account_id uuid NOT NULL REFERENCES accounts(id),
            name text NOT NULL,
            body_json text NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            UNIQUE (account_id, name)
        );
        ALTER TABLE commands ADD COLUMN preset_id text;
        """,
        """
        ALTER TABLE commands ADD COLUMN progress_json text;
        ALTER TABLE commands ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
        CREATE TABLE command_logs (
            command_id uuid PRIMARY KEY REFERENCES commands(id),
            log text NOT NULL
        );
        CREATE TABLE idempotency_keys (
            account_id uuid NOT NULL REFERENCES accounts(id),
            key text NOT NULL,
            request_hash text NOT NULL,
            response_json text NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (account_id, key)
        );
        """,
        """
        ALTER TABLE api_keys ADD COLUMN lookup_prefix text;
        """,
    ];

    public PostgresDatabase(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct) => DataSource.OpenConnectionAsync(ct);

    /// <summary>Applies, in one transaction, the migrations not yet recorded in <c>schema_migrations</c>.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, tx, "SELECT pg_advisory_xact_lock(@key)", Sql.Long("key", MigrationLockKey)))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = Command(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)"))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        int version;
        await using (var cmd = Command(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
        {
            version = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        for (var v = version; v < Migrations.Length; v++)
        {
            await using (var cmd = Command(c, tx, Migrations[v]))
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await using (var cmd = Command(c, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @at)",
                Sql.Int("v", v + 1), Sql.Long("at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())))
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
    }

    internal static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    public void Dispose() => DataSource.Dispose();
}

/// <summary>Typed parameters: a null must still carry its type, or PostgreSQL cannot tell what <c>@x IS NULL</c> compares.</summary>
internal static class Sql
{
    public static NpgsqlParameter Text(string name, string? value) => Make(name, NpgsqlDbType.Text, value);

    public static NpgsqlParameter Uuid(string name, Guid? value) => Make(name, NpgsqlDbType.Uuid, value);

    public static NpgsqlParameter Uuids(string name, IEnumerable<Guid> values) => Make(name, NpgsqlDbType.Array | NpgsqlDbType.Uuid, values.ToArray());

    public static NpgsqlParameter Texts(string name, IEnumerable<string> values) => Make(name, NpgsqlDbType.Array | NpgsqlDbType.Text, values.ToArray());

    public static NpgsqlParameter Ints(string name, IEnumerable<int> values) => Make(name, NpgsqlDbType.Array | NpgsqlDbType.Integer, values.ToArray());

    public static NpgsqlParameter Long(string name, long? value) => Make(name, NpgsqlDbType.Bigint, value);

    public static NpgsqlParameter Int(string name, int? value) => Make(name, NpgsqlDbType.Integer, value);

    public static NpgsqlParameter Double(string name, double? value) => Make(name, NpgsqlDbType.Double, value);

    public static NpgsqlParameter Bool(string name, bool value) => Make(name, NpgsqlDbType.Boolean, value);

    private static NpgsqlParameter Make(string name, NpgsqlDbType type, object? value) => new(name, type) { Value = value ?? DBNull.Value };
}
