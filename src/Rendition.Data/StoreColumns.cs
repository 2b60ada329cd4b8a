namespace Rendition.Data;

/// <summary>The column lists every store selects, in the order <see cref="StoreRows"/> reads them.</summary>
public static class StoreColumns
{
    public const string Command =
        "id, account_id, status, command_type, flavor, request_json, metadata_json, webhook_url, max_seconds, vcpu_count, " +
        "created_at, started_at, completed_at, ffmpeg_seconds, error_status, error_message, attempts, preset_id, progress_json, cancel_requested";

    public const string File =
        "id, account_id, command_id, alias, filename, status, store_type, storage_key, size_bytes, media_json, is_deleted, " +
        "created_at, original_file_url, error_status, error_message, display_name";

    public const string Key = "id, account_id, label, display_prefix, created_at, last_used_at, revoked_at";

    public const string Account = "id, name, created_at";

    public const string Delivery = "id, command_id, account_id, status, attempts, created_at, next_attempt_at";

    /// <summary>A column list with every column qualified by a table alias (<c>f.id, f.account_id, …</c>).</summary>
    public static string Qualified(string columns, string alias) => string.Join(", ", columns.Split(", ").Select(c => $"{alias}.{c}"));
}
