using Microsoft.Data.Sqlite;
using Rendition.Core.Storage;

namespace Rendition.Data.Sqlite;

/// <summary>Opens connections to the embedded database and applies versioned migrations (PRAGMA user_version).</summary>
public sealed class SqliteDatabase : IStoreMigrator
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key_hash TEXT NOT NULL UNIQUE,
            display_prefix TEXT NOT NULL,
            label TEXT,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER
        );
        CREATE TABLE commands (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            status TEXT NOT NULL,
            command_type TEXT NOT NULL,
            flavor INTEGER NOT NULL,
            request_json TEXT NOT NULL,
            metadata_json TEXT,
            webhook_url TEXT,
            max_seconds INTEGER NOT NULL,
            vcpu_count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            started_at INTEGER,
            completed_at INTEGER,
            ffmpeg_seconds REAL,
            error_status TEXT,
            error_message TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_token TEXT,
            lease_expires_at INTEGER
        );
        CREATE INDEX ix_commands_queue ON commands(status, created_at);
        CREATE INDEX ix_commands_account ON commands(account_id, created_at DESC);
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            command_id TEXT REFERENCES commands(id),
            alias TEXT,
            filename TEXT NOT NULL,
            status TEXT NOT NULL,
            store_type TEXT NOT NULL,
            storage_key TEXT NOT NULL,
            size_bytes INTEGER,
            media_json TEXT,
            is_deleted INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            original_file_url TEXT,
            error_status TEXT,
            error_message TEXT
        );
        CREATE INDEX ix_files_command ON files(command_id);
        CREATE INDEX ix_files_account ON files(account_id, created_at DESC);
        """,
        // Listing filtered by status or type stays an index range scan at millions of commands.
        """
        CREATE INDEX ix_commands_account_status ON commands(account_id, status, created_at DESC);
        CREATE INDEX ix_commands_account_type ON commands(account_id, command_type, created_at DESC);
        """,
        """
        ALTER TABLE files ADD COLUMN display_name TEXT;
        CREATE INDEX ix_files_processing ON files(status) WHERE status = 'PROCESSING';
        """,
        """
        CREATE TABLE webhook_configs (
            account_id TEXT PRIMARY KEY REFERENCES accounts(id),
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            is_active INTEGER NOT NULL,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            disabled_at INTEGER,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY,
            command_id TEXT NOT NULL REFERENCES commands(id),
            account_id TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL
        );
        CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'PENDING';
        CREATE INDEX ix_webhook_deliveries_command ON webhook_deliveries(command_id);
        CREATE TABLE webhook_attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
            attempted_at INTEGER NOT NULL,
            url TEXT NOT NULL,
            http_status INTEGER,
            error TEXT,
            duration_ms INTEGER NOT NULL
        );
        CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts(delivery_id);
        """,
        """
        CREATE TABLE presets (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            name TEXT NOT NULL,
            body_json TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (account_id, name)
        );
        ALTER TABLE commands ADD COLUMN preset_id TEXT;
        """,
        """
        ALTER TABLE commands ADD COLUMN progress_json TEXT;
        ALTER TABLE commands ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE command_logs (
            command_id TEXT PRIMARY KEY REFERENCES commands(id),
            log TEXT NOT NULL
        );
        CREATE TABLE idempotency_keys (
            account_id TEXT NOT NULL REFERENCES accounts(id),
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response_json TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (account_id, key)
        );
        """,
        // The first 21 characters of new keys (ffsk_ + 16 hex digits), so `keys revoke` can check a prefix longer than the
        // listed one; keys stored before have none and are matched by their listed prefix or whole.
        """
        ALTER TABLE api_keys ADD COLUMN lookup_prefix TEXT;
        """,
    ];

    private readonly string _connectionString;

    /// <summary>
    /// The database file at <paramref name="path"/>. A statement that finds it locked (by another process: a backup, the
    /// CLI) waits up to <paramref name="busyTimeoutSeconds"/>, then fails as an outage (the API answers 503).
    /// </summary>
    public SqliteDatabase(string path, int busyTimeoutSeconds = 30)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = true,
            DefaultTimeout = busyTimeoutSeconds,
        }.ToString();
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<ReadSession> _readSessions = [];

    /// <summary>
    /// A connection kept open with its statements prepared once: SQLite spends most of a small read parsing and planning
    /// the SQL, so the hot reads (the poll) reuse prepared statements instead. Return it with <see cref="ReturnRead"/>.
    /// </summary>
    public ReadSession RentRead()
    {
        if (_readSessions.TryTake(out var session))
        {
            return session;
        }
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return new ReadSession(connection);
    }

    public void ReturnRead(ReadSession session, bool reusable = true)
    {
        if (reusable && _readSessions.Count < 64)
        {
            _readSessions.Add(session);
        }
        else
        {
            session.Dispose();
        }
    }

    /// <summary>
    /// Opens a pooled connection. Durable (the default) commits are fsynced before they return: what the API acknowledged
    /// (a submission, a key, a deletion) survives a power cut. The worker's own bookkeeping (claim, heartbeat, progress,
    /// log, result) opens with <paramref name="durable"/> false: WAL with synchronous=NORMAL, atomic and safe across a
    /// crash of the process, saving an fsync per commit; a power cut can lose only its last commits, which leaves the job
    /// PROCESSING, and the restart queues it again.
    /// </summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct, bool durable = true)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Pooled connections keep the setting of their last user, so it is set on every open, both ways.
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
        await cmd.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>A command on <paramref name="connection"/> with its parameters (null as SQL NULL).</summary>
    internal static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    /// <summary>Switches to WAL (readers never block the writer) and applies the migrations not yet applied.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var version = Convert.ToInt32(await ScalarAsync(connection, tx, "PRAGMA user_version;", ct), System.Globalization.CultureInfo.InvariantCulture);
        for (var v = version; v < Migrations.Length; v++)
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Migrations[v] + $"\nPRAGMA user_version = {v + 1};";
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct);
    }
}

/// <summary>An open connection and its prepared statements, used by one caller at a time.</summary>
public sealed class ReadSession(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The command for <paramref name="sql"/>, prepared on first use; its parameters are cleared for the caller to set.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            _commands[sql] = cmd;
        }
        cmd.Parameters.Clear();
        return cmd;
    }

    public void Dispose()
    {
        foreach (var c in _commands.Values)
        {
            c.Dispose();
        }
        connection.Dispose();
    }
}
