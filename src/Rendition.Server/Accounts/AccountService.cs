using Rendition.Core;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Server.Accounts;

/// <summary>An API key just made: shown this once (only its hash is stored).</summary>
public sealed record IssuedKey(Account Account, string Key);

/// <summary>
/// Accounts and their API keys, for every door (the <c>accounts</c>/<c>keys</c> CLI today, a console later): create, list,
/// issue and revoke keys. Keys are stored only as hashes.
/// </summary>
public sealed class AccountService(IAccountStore accounts)
{
    public const int MaxNameLength = 100;

    /// <summary>Creates an account (its name trimmed, unique) with its first key.</summary>
    public async Task<Outcome<IssuedKey>> CreateAccountAsync(string name, string? firstKeyLabel, CancellationToken ct)
    {
        name = name.Trim();
        if (name.Length is 0 or > MaxNameLength)
        {
            return Problem.Invalid("name", $"must be 1 to {MaxNameLength} characters");
        }
        Account account;
        try
        {
            account = await accounts.CreateAccountAsync(name, ct);
        }
        catch (InvalidOperationException e)
        {
            return Problem.Conflict(e.Message);
        }
        return await IssueKeyAsync(account, firstKeyLabel, ct);
    }

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct) => accounts.ListAccountsAsync(ct);

    public async Task<Outcome<Account>> FindAccountAsync(string name, CancellationToken ct) =>
        await accounts.FindByNameAsync(name, ct) is { } account ? account : Problem.NotFound($"Account '{name}'");

    /// <summary>Makes a new key for the account.</summary>
    public async Task<IssuedKey> IssueKeyAsync(Account account, string? label, CancellationToken ct)
    {
        var key = ApiKeys.Generate();
        await AddKeyAsync(account, key, label, ct);
        return new IssuedKey(account, key);
    }

    /// <summary>Adds a key chosen elsewhere (the bootstrap key from the environment); a key already there stays as it is.</summary>
    public Task AddKeyAsync(Account account, string key, string? label, CancellationToken ct) =>
        accounts.AddKeyAsync(account.Id, ApiKeys.ForStorage(key), label, ct);

    /// <summary>The account's keys as listed: prefixes, labels and times, never the keys.</summary>
    public async Task<Outcome<IReadOnlyList<ApiKeyInfo>>> ListKeysAsync(string accountName, CancellationToken ct)
    {
        var account = await FindAccountAsync(accountName, ct);
        return account.Problem is { } missing ? missing : Outcome.Success<IReadOnlyList<ApiKeyInfo>>(await accounts.ListKeysAsync(account.Value!.Id, ct));
    }

    /// <summary>
    /// Revokes the one key given by its id, the whole key, or its first characters (at least 8: the listed prefix, or more of
    /// the key). None matching is not found; several matching is a conflict that lists them, and nothing is revoked. The
    /// problems never repeat more of what was given than a listed prefix: it may be the whole key.
    /// </summary>
    public async Task<Outcome<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct)
    {
        var given = idKeyOrPrefix.Trim();
        var shown = given.Length > ApiKeys.DisplayLength ? given[..ApiKeys.DisplayLength] + "..." : given;
        var matches = await accounts.RevokeKeyAsync(given, ct);
        return matches.Count switch
        {
            0 => new Problem(ProblemKind.NotFound, ErrorCodes.NotFound, $"no key matches '{shown}'."),
            > 1 => Problem.Conflict($"'{shown}' matches {matches.Count} keys, so none was revoked; give more of the key, or its id:"
                + string.Concat(matches.Select(k => $"{Environment.NewLine}  {k.Id}  {k.DisplayPrefix}...  {k.Label ?? ""}"))),
            _ => matches[0],
        };
    }
}
