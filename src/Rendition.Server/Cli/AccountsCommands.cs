using System.CommandLine;
using System.Globalization;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Server.Cli;

/// <summary>
/// <c>rendition accounts create|list</c> and <c>rendition keys create|list|revoke</c>: they work against the same store as the
/// server, with the same settings, while it runs (a revoked key is refused by a running server within a second).
/// </summary>
public static class AccountsCommands
{
    public static Command BuildAccounts()
    {
        var name = new Argument<string>("name") { Description = "Account name (unique)" };
        var create = new Command("create", "Create an account and print its first API key (shown once)") { name };
        create.SetAction((parse, ct) => WithStoreAsync(async accounts =>
        {
            var accountName = parse.GetValue(name)!.Trim();
            if (accountName.Length is 0 or > 100)
            {
                return Fail("the account name must be 1 to 100 characters.");
            }
            Account account;
            try
            {
                account = await accounts.CreateAccountAsync(accountName, ct);
            }
            catch (InvalidOperationException e)
            {
                return Fail(e.Message, 1);
            }
            var key = await AddKeyAsync(accounts, account, "created with account", ct);
            Console.WriteLine($"Account: {account.Name} ({account.Id})");
            Console.WriteLine($"API key (shown only now): {key}");
            return 0;
        }, ct));

        var list = new Command("list", "List accounts");
        list.SetAction((parse, ct) => WithStoreAsync(async accounts =>
        {
            Console.WriteLine($"{"ID",-36}  {"NAME",-30}  CREATED");
            foreach (var a in await accounts.ListAccountsAsync(ct))
            {
                Console.WriteLine($"{a.Id,-36}  {a.Name,-30}  {Time(a.CreatedAt)}");
            }
            return 0;
        }, ct));
        return new Command("accounts", "Manage accounts") { create, list };
    }

    public static Command BuildKeys()
    {
        var accountOption = new Option<string>("--account") { Description = "Account name", Required = true };
        var labelOption = new Option<string?>("--name") { Description = "A label for the key" };
        var create = new Command("create", "Create an API key for an account and print it (shown once)") { accountOption, labelOption };
        create.SetAction((parse, ct) => WithStoreAsync(async accounts =>
        {
            var account = await accounts.FindByNameAsync(parse.GetValue(accountOption)!, ct);
            if (account is null)
            {
                return Fail($"no account named '{parse.GetValue(accountOption)}'.", 1);
            }
            var key = await AddKeyAsync(accounts, account, parse.GetValue(labelOption), ct);
            Console.WriteLine($"API key for {account.Name} (shown only now): {key}");
            return 0;
        }, ct));

        var listAccount = new Option<string>("--account") { Description = "Account name", Required = true };
        var list = new Command("list", "List an account's keys: id, label, first 12 characters, created, last used (never the key)") { listAccount };
        list.SetAction((parse, ct) => WithStoreAsync(async accounts =>
        {
            var account = await accounts.FindByNameAsync(parse.GetValue(listAccount)!, ct);
            if (account is null)
            {
                return Fail($"no account named '{parse.GetValue(listAccount)}'.", 1);
            }
            Console.WriteLine($"{"ID",-36}  {"PREFIX",-12}  {"LABEL",-20}  {"CREATED",-20}  {"LAST USED",-20}  STATE");
            foreach (var k in await accounts.ListKeysAsync(account.Id, ct))
            {
                Console.WriteLine($"{k.Id,-36}  {k.DisplayPrefix,-12}  {k.Label ?? "",-20}  {Time(k.CreatedAt),-20}  {Time(k.LastUsedAt),-20}  {(k.RevokedAt is null ? "active" : "revoked")}");
            }
            return 0;
        }, ct));

        var which = new Argument<string>("key-prefix-or-id")
        {
            Description = "The whole key, its first characters (at least 8: the listed prefix, or more of the key), or the key's id",
        };
        var revoke = new Command("revoke", "Revoke a key at once") { which };
        revoke.SetAction((parse, ct) => WithStoreAsync(async accounts =>
        {
            var given = parse.GetValue(which)!.Trim();
            // Never echo what was given: it may be the whole key.
            var shown = given.Length > ApiKeys.DisplayLength ? given[..ApiKeys.DisplayLength] + "..." : given;
            var matches = await accounts.RevokeKeyAsync(given, ct);
            switch (matches.Count)
            {
                case 0:
                    return Fail($"no key matches '{shown}'.", 1);
                case > 1:
                    Console.Error.WriteLine($"rendition: '{shown}' matches {matches.Count} keys, so none was revoked; give more of the key, or its id:");
                    foreach (var k in matches)
                    {
                        Console.Error.WriteLine($"  {k.Id}  {k.DisplayPrefix}...  {k.Label ?? ""}");
                    }
                    return 1;
                default:
                    Console.WriteLine($"Revoked key {matches[0].Id} ({matches[0].DisplayPrefix}...).");
                    return 0;
            }
        }, ct));
        return new Command("keys", "Manage API keys") { create, list, revoke };
    }

    private static async Task<string> AddKeyAsync(IAccountStore accounts, Account account, string? label, CancellationToken ct)
    {
        var key = ApiKeys.Generate();
        await accounts.AddKeyAsync(account.Id, ApiKeys.ForStorage(key), label, ct);
        return key;
    }

    private static async Task<int> WithStoreAsync(Func<IAccountStore, Task<int>> action, CancellationToken ct)
    {
        WebApplication app;
        try
        {
            app = RenditionApp.Build([]);
        }
        catch (SettingsException e)
        {
            return Fail(e.Message);
        }
        await using (app)
        {
            await app.Services.GetRequiredService<Bootstrapper>().PrepareAsync(printFirstKey: false, ct);
            return await action(app.Services.GetRequiredService<IAccountStore>());
        }
    }

    private static int Fail(string message, int code = 2)
    {
        Console.Error.WriteLine($"rendition: {message}");
        return code;
    }

    private static string Time(long? unixMs) =>
        unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";
}
