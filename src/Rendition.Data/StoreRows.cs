using System.Data.Common;
using Rendition.Core.Storage;
using Rendition.Core.Webhooks;

namespace Rendition.Data;

/// <summary>
/// Rows to records, for every store. The drivers differ only in types, and the reader hides those: a uuid or a TEXT id
/// both read with <see cref="DbDataReader.GetGuid"/>, a boolean or a 0/1 INTEGER with <see cref="DbDataReader.GetBoolean"/>.
/// </summary>
public static class StoreRows
{
    /// <summary>Reads every row with <paramref name="read"/>.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(DbDataReader r, Func<DbDataReader, T> read, CancellationToken ct)
    {
        var rows = new List<T>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(read(r));
        }
        return rows;
    }

    /// <summary><see cref="StoreColumns.Account"/>.</summary>
    public static Account Account(DbDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetInt64(2));

    /// <summary><see cref="StoreColumns.Key"/>.</summary>
    public static ApiKeyInfo Key(DbDataReader r) => new(r.GetGuid(0), r.GetGuid(1), NullableString(r, 2), r.GetString(3),
        r.GetInt64(4), NullableLong(r, 5), NullableLong(r, 6));

    /// <summary><see cref="StoreColumns.Command"/>.</summary>
    public static CommandRecord Command(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        AccountId = r.GetGuid(1),
        Status = r.GetString(2),
        CommandType = r.GetString(3),
        Flavor = r.GetInt32(4),
        RequestJson = r.GetString(5),
        MetadataJson = NullableString(r, 6),
        WebhookUrl = NullableString(r, 7),
        MaxSeconds = r.GetInt32(8),
        VcpuCount = r.GetInt32(9),
        CreatedAt = r.GetInt64(10),
        StartedAt = NullableLong(r, 11),
        CompletedAt = NullableLong(r, 12),
        FfmpegSeconds = r.IsDBNull(13) ? null : r.GetDouble(13),
        ErrorStatus = NullableString(r, 14),
        ErrorMessage = NullableString(r, 15),
        Attempts = r.GetInt32(16),
        PresetId = NullableString(r, 17),
        ProgressJson = NullableString(r, 18),
        CancelRequested = r.GetBoolean(19),
    };

    /// <summary><see cref="StoreColumns.File"/>.</summary>
    public static FileRecord File(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        AccountId = r.GetGuid(1),
        CommandId = r.IsDBNull(2) ? null : r.GetGuid(2),
        Alias = NullableString(r, 3),
        Filename = r.GetString(4),
        Status = r.GetString(5),
        StoreType = r.GetString(6),
        StorageKey = r.GetString(7),
        SizeBytes = NullableLong(r, 8),
        MediaJson = NullableString(r, 9),
        IsDeleted = r.GetBoolean(10),
        CreatedAt = r.GetInt64(11),
        OriginalFileUrl = NullableString(r, 12),
        ErrorStatus = NullableString(r, 13),
        ErrorMessage = NullableString(r, 14),
        DisplayName = NullableString(r, 15),
    };

    /// <summary><see cref="StoreColumns.Delivery"/>.</summary>
    public static WebhookDelivery Delivery(DbDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetInt32(4), r.GetInt64(5), r.GetInt64(6));

    /// <summary><c>account_id, url, secret, is_active, consecutive_failures, disabled_at</c>.</summary>
    public static WebhookConfig WebhookConfig(DbDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetInt32(4), NullableLong(r, 5));

    /// <summary><c>delivery_id, attempted_at, url, http_status, error, duration_ms</c>.</summary>
    public static WebhookAttempt Attempt(DbDataReader r) =>
        new(r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), NullableString(r, 4), r.GetInt32(5));

    /// <summary>Pairs each command with its files (in the order read), keeping the commands' order; a command without files gets none.</summary>
    public static IReadOnlyList<(CommandRecord Command, IReadOnlyList<FileRecord> Files)> WithFiles(IReadOnlyList<CommandRecord> commands, IEnumerable<FileRecord> files)
    {
        var byCommand = files.Where(f => f.CommandId is not null).ToLookup(f => f.CommandId!.Value);
        return [.. commands.Select(c => (c, (IReadOnlyList<FileRecord>)[.. byCommand[c.Id]]))];
    }

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? NullableLong(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
