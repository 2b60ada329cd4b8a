using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rendition.Core.Presets;
using static Rendition.Data.Sqlite.SqliteDatabase;

namespace Rendition.Data.Sqlite;

/// <summary>Presets on SQLite: the preset as JSON, with the name in its own column for per-account uniqueness.</summary>
public sealed class SqlitePresetStore(SqliteDatabase db) : IPresetStore
{
    public async Task<bool> InsertAsync(Preset preset, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            INSERT INTO presets (id, account_id, name, body_json, created_at, updated_at) VALUES ($id, $account, $name, $body, $created, $updated)
            ON CONFLICT (account_id, name) DO NOTHING
            """, Parameters(preset));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<Preset?> GetAsync(Guid accountId, string presetId, CancellationToken ct) =>
        (await QueryAsync("SELECT body_json, account_id FROM presets WHERE account_id = $account AND id = $id", ct, ("$account", accountId.ToString()), ("$id", presetId)))
        is [var preset] ? preset : null;

    public Task<IReadOnlyList<Preset>> ListAsync(Guid accountId, CancellationToken ct) =>
        QueryAsync("SELECT body_json, account_id FROM presets WHERE account_id = $account ORDER BY created_at DESC, rowid DESC", ct, ("$account", accountId.ToString()));

    public async Task<bool> UpdateAsync(Preset preset, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c,
            "UPDATE presets SET name = $name, body_json = $body, updated_at = $updated WHERE id = $id AND account_id = $account", Parameters(preset));
        try
        {
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(Guid accountId, string presetId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "DELETE FROM presets WHERE account_id = $account AND id = $id", ("$account", accountId.ToString()), ("$id", presetId));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private static (string, object?)[] Parameters(Preset p) =>
    [
        ("$id", p.PresetId), ("$account", p.AccountId.ToString()), ("$name", p.Name), ("$body", JsonSerializer.Serialize(p, PresetJson.Default.Preset)),
        ("$created", DateTimeOffset.Parse(p.CreatedAt, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()),
        ("$updated", DateTimeOffset.Parse(p.UpdatedAt, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()),
    ];

    private async Task<IReadOnlyList<Preset>> QueryAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var presets = new List<Preset>();
        while (await r.ReadAsync(ct))
        {
            var preset = JsonSerializer.Deserialize(r.GetString(0), PresetJson.Default.Preset)!;
            preset.AccountId = Guid.Parse(r.GetString(1));
            presets.Add(preset);
        }
        return presets;
    }
}
