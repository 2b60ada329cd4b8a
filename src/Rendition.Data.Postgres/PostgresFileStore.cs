using Npgsql;
using Rendition.Core.Storage;
using static Rendition.Data.Postgres.PostgresDatabase;

namespace Rendition.Data.Postgres;

/// <summary>Stored files (uploads, files from URLs, command outputs) on PostgreSQL.</summary>
public sealed class PostgresFileStore(PostgresDatabase db) : IFileStore
{
    public async Task InsertFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = InsertFileCommand(c, null, file);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task<FileRecord?> GetFileAsync(Guid accountId, Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {StoreColumns.File} FROM files WHERE id = @id AND account_id = @account", ct,
            Sql.Uuid("id", fileId), Sql.Uuid("account", accountId));

    public Task<FileRecord?> FindFileAsync(Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {StoreColumns.File} FROM files WHERE id = @id", ct, Sql.Uuid("id", fileId));

    public Task<IReadOnlyList<FileRecord>> ListFilesAsync(Guid accountId, int limit, int offset, CancellationToken ct) =>
        QueryFilesAsync(db, $"SELECT {StoreColumns.File} FROM files WHERE account_id = @account ORDER BY created_at DESC, seq DESC LIMIT @limit OFFSET @offset", ct,
            Sql.Uuid("account", accountId), Sql.Int("limit", limit), Sql.Int("offset", offset));

    public async Task<bool> FinishFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            UPDATE files SET status = @status, size_bytes = @size, media_json = @media, error_status = @estatus, error_message = @emessage,
                storage_key = @key, filename = @filename
            WHERE id = @id AND status = 'PROCESSING' AND NOT is_deleted
            """,
            Sql.Text("status", file.Status), Sql.Long("size", file.SizeBytes), Sql.Text("media", file.MediaJson), Sql.Text("estatus", file.ErrorStatus),
            Sql.Text("emessage", file.ErrorMessage), Sql.Text("key", file.StorageKey), Sql.Text("filename", file.Filename), Sql.Uuid("id", file.Id));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<FileRecord>> MarkFilesDeletedAsync(Guid accountId, IReadOnlyCollection<Guid> fileIds, CancellationToken ct)
    {
        if (fileIds.Count == 0)
        {
            return [];
        }
        return await QueryFilesAsync(db, $"""
            UPDATE files SET is_deleted = true WHERE account_id = @account AND id = ANY(@ids)
            RETURNING {StoreColumns.File}
            """, ct, Sql.Uuid("account", accountId), Sql.Uuids("ids", fileIds));
    }

    public Task<IReadOnlyList<FileRecord>> ListProcessingFilesAsync(CancellationToken ct) =>
        QueryFilesAsync(db, $"SELECT {StoreColumns.File} FROM files WHERE status = 'PROCESSING' AND NOT is_deleted ORDER BY created_at, seq", ct);

    public Task<IReadOnlyList<FileRecord>> ExpireFilesAsync(long createdBefore, int limit, CancellationToken ct) =>
        // SKIP LOCKED: retention sweeps on several nodes take disjoint batches instead of queueing behind one another.
        QueryFilesAsync(db, $"""
            WITH expired AS MATERIALIZED (
                SELECT id FROM files WHERE NOT is_deleted AND created_at < @before AND status <> 'PROCESSING'
                ORDER BY created_at LIMIT @limit FOR UPDATE SKIP LOCKED)
            UPDATE files f SET is_deleted = true FROM expired WHERE f.id = expired.id
            RETURNING {StoreColumns.Qualified(StoreColumns.File, "f")}
            """, ct, Sql.Long("before", createdBefore), Sql.Int("limit", limit));

    private async Task<FileRecord?> QueryFileAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        var files = await QueryFilesAsync(db, sql, ct, parameters);
        return files.Count > 0 ? files[0] : null;
    }

    internal static async Task<IReadOnlyList<FileRecord>> QueryFilesAsync(PostgresDatabase db, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await StoreRows.ReadAllAsync(r, StoreRows.File, ct);
    }

    internal static NpgsqlCommand InsertFileCommand(NpgsqlConnection c, NpgsqlTransaction? tx, FileRecord f) => Command(c, tx, $"""
        INSERT INTO files ({StoreColumns.File}) VALUES (@id, @account, @command, @alias, @filename, @status, @type, @key,
            @size, @media, @deleted, @created, @url, @estatus, @emessage, @display)
        """,
        Sql.Uuid("id", f.Id), Sql.Uuid("account", f.AccountId), Sql.Uuid("command", f.CommandId),
        Sql.Text("alias", f.Alias), Sql.Text("filename", f.Filename), Sql.Text("status", f.Status), Sql.Text("type", f.StoreType),
        Sql.Text("key", f.StorageKey), Sql.Long("size", f.SizeBytes), Sql.Text("media", f.MediaJson), Sql.Bool("deleted", f.IsDeleted),
        Sql.Long("created", f.CreatedAt), Sql.Text("url", f.OriginalFileUrl), Sql.Text("estatus", f.ErrorStatus), Sql.Text("emessage", f.ErrorMessage),
        Sql.Text("display", f.DisplayName));
}
