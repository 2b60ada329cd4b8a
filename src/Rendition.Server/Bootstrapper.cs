using Rendition.Core;
using Rendition.Core.Storage;
using Rendition.Server.Accounts;

namespace Rendition.Server;

/// <summary>Start-up work that must finish before requests are served: migrations and the first API key.</summary>
public sealed class Bootstrapper(IStoreMigrator migrator, IAccountStore accounts, AccountService keys, RenditionOptions options, ILogger<Bootstrapper> logger)
{
    public const string DefaultAccountName = "default";

    public async Task PrepareAsync(bool printFirstKey, CancellationToken ct)
    {
        Directory.CreateDirectory(options.FullDataDir);
        await migrator.MigrateAsync(ct);

        if (options.BootstrapApiKey is { } key)
        {
            var account = await accounts.FindByNameAsync(DefaultAccountName, ct) ?? await CreateOrFindAsync(ct);
            await keys.AddKeyAsync(account, key, "bootstrap", ct);
            return;
        }
        if (await accounts.CountAccountsAsync(ct) == 0)
        {
            Account account;
            try
            {
                account = await accounts.CreateAccountAsync(DefaultAccountName, ct);
            }
            catch (InvalidOperationException)
            {
                // Another node sharing the store created it at the same moment, with its own first key.
                return;
            }
            var created = (await keys.IssueKeyAsync(account, "first start", ct)).Key;
            logger.LogInformation("Created account '{Account}' with its first API key", DefaultAccountName);
            if (printFirstKey)
            {
                // Shown once: only its hash is stored.
                Console.WriteLine($"Created account '{DefaultAccountName}'. Its API key (shown only now): {created}");
            }
        }
    }

    /// <summary>Creates the default account; when several nodes start on one shared store at once, another may win the race.</summary>
    private async Task<Account> CreateOrFindAsync(CancellationToken ct)
    {
        try
        {
            return await accounts.CreateAccountAsync(DefaultAccountName, ct);
        }
        catch (InvalidOperationException)
        {
            return await accounts.FindByNameAsync(DefaultAccountName, ct) ?? throw new InvalidOperationException($"Account '{DefaultAccountName}' could neither be created nor found.");
        }
    }
}
