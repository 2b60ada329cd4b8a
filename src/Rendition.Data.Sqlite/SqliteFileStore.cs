using Microsoft.Data.Sqlite;
using Rendition.Core.Storage;
using static Rendition.Data.Sqlite.SqliteDatabase;

namespace Rendition.Data.Sqlite;

/// <summary>Stored files (uploads, files from URLs, command outputs) in the embedded SQLite database.</summary>
public sealed class SqliteFileStore(SqliteDatabase db) : IFileStore
{
    public async Task InsertFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = InsertFileCommand(c, file);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task<FileRecord?> GetFileAsync(Guid accountId, Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {StoreColumns.File} FROM files WHERE id = $id AND account_id = $account", ct,
            ("$id", fileId.ToString()), ("$account", accountId.ToString()));

    public Task<FileRecord?> FindFileAsync(Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {StoreColumns.File} FROM files WHERE id = $id", ct, ("$id", fileId.ToString()));

    public Task<IReadOnlyList<FileRecord>> ListFilesAsync(Guid accountId, int limit, int offset, CancellationToken ct) =>
        QueryFilesAsync(db, $"SELECT {StoreColumns.File} FROM files WHERE account_id = $account ORDER BY created_at DESC, rowid DESC LIMIT $limit OFFSET $offset", ct,
            ("$account", accountId.ToString()), ("$limit", limit), ("$offset", offset));

    public async Task<bool> FinishFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            UPDATE files SET status = $status, size_bytes = $size, media_json = $media, error_status = $estatus, error_message = $emessage,
                storage_key = $key, filename = $filename
            WHERE id = $id AND status = 'PROCESSING' AND is_deleted = 0
            """,
            ("$status", file.Status), ("$size", file.SizeBytes), ("$media", file.MediaJson), ("$estatus", file.ErrorStatus),
            ("$emessage", file.ErrorMessage), ("$key", file.StorageKey), ("$filename", file.Filename), ("$id", file.Id.ToString()));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<FileRecord>> MarkFilesDeletedAsync(Guid accountId, IReadOnlyCollection<Guid> fileIds, CancellationToken ct)
    {
        if (fileIds.Count == 0)
        {
            return [];
        }
        var ids = string.Join(',', fileIds.Select((_, i) => $"$f{i}"));
        return await QueryFilesAsync(db, $"""
            UPDATE files SET is_deleted = 1 WHERE account_id = $account AND id IN ({ids})
            RETURNING {StoreColumns.File}
            """, ct, [("$account", accountId.ToString()), .. fileIds.Select((f, i) => ($"$f{i}", (object?)f.ToString()))]);
    }

    public Task<IReadOnlyList<FileRecord>> ListProcessingFilesAsync(CancellationToken ct) =>
        QueryFilesAsync(db, $"SELECT {StoreColumns.File} FROM files WHERE status = 'PROCESSING' AND is_deleted = 0 ORDER BY created_at", ct);

    public Task<IReadOnlyList<FileRecord>> ExpireFilesAsync(long createdBefore, int limit, CancellationToken ct) =>
        QueryFilesAsync(db, $"""
            UPDATE files SET is_deleted = 1
            WHERE id IN (SELECT id FROM files WHERE is_deleted = 0 AND created_at < $before AND status <> 'PROCESSING' LIMIT $limit)
            RETURNING {StoreColumns.File}
            """, ct, ("$before", createdBefore), ("$limit", limit));

    private async Task<FileRecord?> QueryFileAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        var files = await QueryFilesAsync(db, sql, ct, parameters);
        return files.Count > 0 ? files[0] : null;
    }

    internal static async Task<IReadOnlyList<FileRecord>> QueryFilesAsync(SqliteDatabase db, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await StoreRows.ReadAllAsync(r, StoreRows.File, ct);
    }

    internal static SqliteCommand InsertFileCommand(SqliteConnection c, FileRecord f) => Command(c, $"""
        INSERT INTO files ({StoreColumns.File}) VALUES ($id, $account, $command, $alias, $filename, $status, $type, $key,
            $size, $media, $deleted, $created, $url, $estatus, $emessage, $display)
        """,
        ("$id", f.Id.ToString()), ("$account", f.AccountId.ToString()), ("$command", f.CommandId?.ToString()),
        ("$alias", f.Alias), ("$filename", f.Filename), ("$status", f.Status), ("$type", f.StoreType),
        ("$key", f.StorageKey), ("$size", f.SizeBytes), ("$media", f.MediaJson), ("$deleted", f.IsDeleted ? 1 : 0),
        ("$created", f.CreatedAt), ("$url", f.OriginalFileUrl), ("$estatus", f.ErrorStatus), ("$emessage", f.ErrorMessage),
        ("$display", f.DisplayName));
}
