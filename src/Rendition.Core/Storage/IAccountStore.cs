namespace Rendition.Core.Storage;

/// <summary>Accounts and their API keys (keys only as SHA-256 hashes).</summary>
public interface IAccountStore
{
    /// <summary>The account and key id of the active (not revoked) key with this hash, or null.</summary>
    Task<KeyOwner?> FindByKeyHashAsync(string keyHash, CancellationToken ct);

    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct);

    Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid accountId, CancellationToken ct);

    /// <summary>
    /// Revokes the key given by its id, the whole key (matched by hash), or a prefix of at least 8 characters (compared with as
    /// many of its stored first characters as both have: up to <see cref="Security.ApiKeys.LookupLength"/>); returns the keys
    /// matched, revoked only when exactly one matched.
    /// </summary>
    Task<IReadOnlyList<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct);

    /// <summary>Records when keys were last used, in one write for many requests.</summary>
    Task TouchKeysAsync(IReadOnlyDictionary<Guid, long> lastUsed, CancellationToken ct);

    Task<Account?> FindByNameAsync(string name, CancellationToken ct);

    /// <summary>Creates the account; throws <see cref="InvalidOperationException"/> when the name is taken.</summary>
    Task<Account> CreateAccountAsync(string name, CancellationToken ct);

    /// <summary>Adds a key (by hash) to the account; a hash already present is left as it is.</summary>
    Task AddKeyAsync(Guid accountId, Security.NewApiKey key, string? label, CancellationToken ct);

    Task<int> CountAccountsAsync(CancellationToken ct);
}
