using System.CommandLine;
using System.Globalization;
using Rendition.Core;
using Rendition.Server.Accounts;

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
        create.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            var created = await accounts.CreateAccountAsync(parse.GetValue(name)!, "created with account", ct);
            if (created.Problem is { } problem)
            {
                return problem.Kind == ProblemKind.Invalid
                    ? Fail($"the account name must be 1 to {AccountService.MaxNameLength} characters.")
                    : Fail(problem.Message, 1);
            }
            Console.WriteLine($"Account: {created.Value!.Account.Name} ({created.Value.Account.Id})");
            Console.WriteLine($"API key (shown only now): {created.Value.Key}");
            return 0;
        }, ct));

        var list = new Command("list", "List accounts");
        list.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
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
        create.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            var account = await accounts.FindAccountAsync(parse.GetValue(accountOption)!, ct);
            if (account.Problem is not null)
            {
                return Fail($"no account named '{parse.GetValue(accountOption)}'.", 1);
            }
            var issued = await accounts.IssueKeyAsync(account.Value!, parse.GetValue(labelOption), ct);
            Console.WriteLine($"API key for {issued.Account.Name} (shown only now): {issued.Key}");
            return 0;
        }, ct));

        var listAccount = new Option<string>("--account") { Description = "Account name", Required = true };
        var list = new Command("list", "List an account's keys: id, label, first 12 characters, created, last used (never the key)") { listAccount };
        list.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            var keys = await accounts.ListKeysAsync(parse.GetValue(listAccount)!, ct);
            if (keys.Problem is not null)
            {
                return Fail($"no account named '{parse.GetValue(listAccount)}'.", 1);
            }
            Console.WriteLine($"{"ID",-36}  {"PREFIX",-12}  {"LABEL",-20}  {"CREATED",-20}  {"LAST USED",-20}  STATE");
            foreach (var k in keys.Value!)
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
        revoke.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            var revoked = await accounts.RevokeKeyAsync(parse.GetValue(which)!, ct);
            return revoked.Problem is { } problem ? Fail(problem.Message, 1) : Done($"Revoked key {revoked.Value!.Id} ({revoked.Value.DisplayPrefix}...).");
        }, ct));
        return new Command("keys", "Manage API keys") { create, list, revoke };
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the accounts of the store the server's settings name (migrated first), without
    /// building a server: only the stores are composed.
    /// </summary>
    private static async Task<int> WithAccountsAsync(Func<AccountService, Task<int>> action, CancellationToken ct)
    {
        var services = new ServiceCollection();
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            services.AddLogging().AddRenditionStores(RenditionSettings.Load(configuration));
        }
        catch (SettingsException e)
        {
            return Fail(e.Message);
        }
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Bootstrapper>().PrepareAsync(printFirstKey: false, ct);
        return await action(provider.GetRequiredService<AccountService>());
    }

    private static int Done(string message)
    {
        Console.WriteLine(message);
        return 0;
    }

    private static int Fail(string message, int code = 2)
    {
        Console.Error.WriteLine($"rendition: {message}");
        return code;
    }

    private static string Time(long? unixMs) =>
        unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";
}
