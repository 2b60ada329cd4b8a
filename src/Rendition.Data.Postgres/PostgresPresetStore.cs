using System.Globalization;
using System.Text.Json;
using Npgsql;
using Rendition.Core.Presets;
using static Rendition.Data.Postgres.PostgresDatabase;

namespace Rendition.Data.Postgres;

/// <summary>Presets on PostgreSQL: the preset as JSON, with the name in its own column for per-account uniqueness.</summary>
public sealed class PostgresPresetStore(PostgresDatabase db) : IPresetStore
{
    public async Task<bool> InsertAsync(Preset preset, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            INSERT INTO presets (id, account_id, name, body_json, created_at, updated_at) VALUES (@id, @account, @name, @body, @created, @updated)
            ON CONFLICT (account_id, name) DO NOTHING
            """, Parameters(preset));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<Preset?> GetAsync(Guid accountId, string presetId, CancellationToken ct) =>
        (await QueryAsync("SELECT body_json, account_id FROM presets WHERE account_id = @account AND id = @id", ct,
            Sql.Uuid("account", accountId), Sql.Text("id", presetId)))
        is [var preset] ? preset : null;

    public Task<IReadOnlyList<Preset>> ListAsync(Guid accountId, CancellationToken ct) =>
        QueryAsync("SELECT body_json, account_id FROM presets WHERE account_id = @account ORDER BY created_at DESC, seq DESC", ct, Sql.Uuid("account", accountId));

    public async Task<bool> UpdateAsync(Preset preset, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null,
            "UPDATE presets SET name = @name, body_json = @body, updated_at = @updated WHERE id = @id AND account_id = @account", Parameters(preset));
        try
        {
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }
        catch (PostgresException e) when (e.SqlState == "23505")
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(Guid accountId, string presetId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "DELETE FROM presets WHERE account_id = @account AND id = @id",
            Sql.Uuid("account", accountId), Sql.Text("id", presetId));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    // A fresh array per command: a parameter belongs to one command's collection only.
    private static NpgsqlParameter[] Parameters(Preset p) =>
    [
        Sql.Text("id", p.PresetId), Sql.Uuid("account", p.AccountId), Sql.Text("name", p.Name), Sql.Text("body", JsonSerializer.Serialize(p, PresetJson.Default.Preset)),
        Sql.Long("created", DateTimeOffset.Parse(p.CreatedAt, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()),
        Sql.Long("updated", DateTimeOffset.Parse(p.UpdatedAt, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()),
    ];

    private async Task<IReadOnlyList<Preset>> QueryAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var presets = new List<Preset>();
        while (await r.ReadAsync(ct))
        {
            var preset = JsonSerializer.Deserialize(r.GetString(0), PresetJson.Default.Preset)!;
            preset.AccountId = r.GetGuid(1);
            presets.Add(preset);
        }
        return presets;
    }
}
