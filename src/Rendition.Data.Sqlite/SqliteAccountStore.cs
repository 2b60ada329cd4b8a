using Microsoft.Data.Sqlite;
using Rendition.Core.Storage;
using static Rendition.Data.Sqlite.SqliteDatabase;

namespace Rendition.Data.Sqlite;

/// <summary>Accounts and their API keys in the embedded SQLite database.</summary>
public sealed class SqliteAccountStore(SqliteDatabase db, TimeProvider time) : IAccountStore
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<KeyOwner?> FindByKeyHashAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            SELECT a.id, a.name, a.created_at, k.id FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.key_hash = $hash AND k.revoked_at IS NULL
            """, ("$hash", keyHash));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new KeyOwner(StoreRows.Account(r), r.GetGuid(3)) : null;
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, $"SELECT {StoreColumns.Account} FROM accounts ORDER BY created_at, name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await StoreRows.ReadAllAsync(r, StoreRows.Account, ct);
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid accountId, CancellationToken ct) =>
        QueryKeysAsync($"SELECT {StoreColumns.Key} FROM api_keys WHERE account_id = $account ORDER BY created_at", ct, ("$account", accountId.ToString()));

    public async Task<IReadOnlyList<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct)
    {
        // By id; by the whole key's hash (a whole key that is not stored matches nothing, whatever it shares); or by a prefix,
        // compared with the stored first characters (the lookup prefix, or the listed one for keys stored before it existed)
        // as far as both go, which must be at least 8 characters so a short guess cannot hit several keys by accident.
        // substr(stored, 1, len(given)) and substr(given, 1, len(stored)) are both the first min(len) characters.
        var matches = await QueryKeysAsync($"""
            SELECT {StoreColumns.Key} FROM api_keys
            WHERE id = $value OR key_hash = $hash
               OR (NOT $whole AND length($value) >= 8 AND length(COALESCE(lookup_prefix, display_prefix)) >= 8
                   AND substr(COALESCE(lookup_prefix, display_prefix), 1, length($value)) = substr($value, 1, length(COALESCE(lookup_prefix, display_prefix))))
            """, ct, ("$value", idKeyOrPrefix), ("$hash", Core.Security.ApiKeys.Hash(idKeyOrPrefix)), ("$whole", Core.Security.ApiKeys.IsGenerated(idKeyOrPrefix)));
        if (matches.Count != 1)
        {
            return matches;
        }
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $now) WHERE id = $id", ("$now", Now), ("$id", matches[0].Id.ToString()));
        await cmd.ExecuteNonQueryAsync(ct);
        return await QueryKeysAsync($"SELECT {StoreColumns.Key} FROM api_keys WHERE id = $id", ct, ("$id", matches[0].Id.ToString()));
    }

    public async Task TouchKeysAsync(IReadOnlyDictionary<Guid, long> lastUsed, CancellationToken ct)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }
        await using var c = await db.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        foreach (var (id, at) in lastUsed)
        {
            await using var cmd = Command(c, "UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), $at) WHERE id = $id", ("$at", at), ("$id", id.ToString()));
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private async Task<IReadOnlyList<ApiKeyInfo>> QueryKeysAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await StoreRows.ReadAllAsync(r, StoreRows.Key, ct);
    }

    public async Task<Account?> FindByNameAsync(string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, $"SELECT {StoreColumns.Account} FROM accounts WHERE name = $name", ("$name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? StoreRows.Account(r) : null;
    }

    public async Task<Account> CreateAccountAsync(string name, CancellationToken ct)
    {
        var account = new Account(Guid.NewGuid(), name, Now);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "INSERT INTO accounts (id, name, created_at) VALUES ($id, $name, $at)",
            ("$id", account.Id.ToString()), ("$name", name), ("$at", account.CreatedAt));
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new InvalidOperationException($"An account named '{name}' already exists.", e);
        }
        return account;
    }

    public async Task AddKeyAsync(Guid accountId, Core.Security.NewApiKey key, string? label, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            INSERT INTO api_keys (id, account_id, key_hash, display_prefix, lookup_prefix, label, created_at)
            VALUES ($id, $account, $hash, $prefix, $lookup, $label, $at) ON CONFLICT(key_hash) DO NOTHING
            """,
            ("$id", Guid.NewGuid().ToString()), ("$account", accountId.ToString()), ("$hash", key.Hash),
            ("$prefix", key.DisplayPrefix), ("$lookup", key.LookupPrefix), ("$label", label), ("$at", Now));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> CountAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT COUNT(*) FROM accounts");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}
