using Npgsql;
using Rendition.Core.Storage;
using static Rendition.Data.Postgres.PostgresDatabase;

namespace Rendition.Data.Postgres;

/// <summary>Accounts and their API keys on PostgreSQL.</summary>
public sealed class PostgresAccountStore(PostgresDatabase db, TimeProvider time) : IAccountStore
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<KeyOwner?> FindByKeyHashAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            SELECT a.id, a.name, a.created_at, k.id FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.key_hash = @hash AND k.revoked_at IS NULL
            """, Sql.Text("hash", keyHash));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new KeyOwner(StoreRows.Account(r), r.GetGuid(3)) : null;
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, $"SELECT {StoreColumns.Account} FROM accounts ORDER BY created_at, name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await StoreRows.ReadAllAsync(r, StoreRows.Account, ct);
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid accountId, CancellationToken ct) =>
        QueryKeysAsync($"SELECT {StoreColumns.Key} FROM api_keys WHERE account_id = @account ORDER BY created_at", ct, Sql.Uuid("account", accountId));

    public async Task<IReadOnlyList<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct)
    {
        // As on SQLite: by id, by the whole key's hash (only), or by a prefix compared with the stored first characters (the lookup
        // prefix, else the displayed one) as far as both go, at least 8 characters.
        var matches = await QueryKeysAsync($"""
            SELECT {StoreColumns.Key} FROM api_keys
            WHERE id::text = lower(@value) OR key_hash = @hash
               OR (NOT @whole AND length(@value) >= 8 AND length(COALESCE(lookup_prefix, display_prefix)) >= 8
                   AND substr(COALESCE(lookup_prefix, display_prefix), 1, length(@value)) = substr(@value, 1, length(COALESCE(lookup_prefix, display_prefix))))
            """, ct, Sql.Text("value", idKeyOrPrefix), Sql.Text("hash", Core.Security.ApiKeys.Hash(idKeyOrPrefix)), Sql.Bool("whole", Core.Security.ApiKeys.IsGenerated(idKeyOrPrefix)));
        if (matches.Count != 1)
        {
            return matches;
        }
        return await QueryKeysAsync($"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @id RETURNING {StoreColumns.Key}", ct,
            Sql.Long("now", Now), Sql.Uuid("id", matches[0].Id));
    }

    public async Task TouchKeysAsync(IReadOnlyDictionary<Guid, long> lastUsed, CancellationToken ct)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }
        // One statement for the whole batch: the arrays are zipped by unnest.
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at)
            FROM unnest(@ids, @ats) AS u(id, at) WHERE k.id = u.id
            """,
            Sql.Uuids("ids", lastUsed.Keys),
            new NpgsqlParameter("ats", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint) { Value = lastUsed.Values.ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<IReadOnlyList<ApiKeyInfo>> QueryKeysAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await StoreRows.ReadAllAsync(r, StoreRows.Key, ct);
    }

    public async Task<Account?> FindByNameAsync(string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, $"SELECT {StoreColumns.Account} FROM accounts WHERE name = @name", Sql.Text("name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? StoreRows.Account(r) : null;
    }

    public async Task<Account> CreateAccountAsync(string name, CancellationToken ct)
    {
        var account = new Account(Guid.NewGuid(), name, Now);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "INSERT INTO accounts (id, name, created_at) VALUES (@id, @name, @at)",
            Sql.Uuid("id", account.Id), Sql.Text("name", name), Sql.Long("at", account.CreatedAt));
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            throw new InvalidOperationException($"An account named '{name}' already exists.", e);
        }
        return account;
    }

    public async Task AddKeyAsync(Guid accountId, Core.Security.NewApiKey key, string? label, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            INSERT INTO api_keys (id, account_id, key_hash, display_prefix, lookup_prefix, label, created_at)
            VALUES (@id, @account, @hash, @prefix, @lookup, @label, @at) ON CONFLICT (key_hash) DO NOTHING
            """,
            Sql.Uuid("id", Guid.NewGuid()), Sql.Uuid("account", accountId), Sql.Text("hash", key.Hash),
            Sql.Text("prefix", key.DisplayPrefix), Sql.Text("lookup", key.LookupPrefix), Sql.Text("label", label), Sql.Long("at", Now));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> CountAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT COUNT(*) FROM accounts");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    // PostgreSQL's unique_violation.
    private const string UniqueViolation = "23505";
}
