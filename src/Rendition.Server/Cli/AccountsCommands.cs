using System.CommandLine;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Server.Cli;

/// <summary><c>rendition accounts create NAME</c>: works against the same store as the server, with the same settings.</summary>
public static class AccountsCommands
{
    public static Command Build(string[] hostArgs)
    {
        var name = new Argument<string>("name") { Description = "Account name (unique)" };
        var create = new Command("create", "Create an account and print its first API key (shown once)") { name };
        create.SetAction(async (parse, ct) =>
        {
            var accountName = parse.GetValue(name)!.Trim();
            if (accountName.Length is 0 or > 100)
            {
                await Console.Error.WriteLineAsync("rendition: the account name must be 1 to 100 characters.");
                return 2;
            }
            await using var app = RenditionApp.Build(hostArgs);
            await app.Services.GetRequiredService<Bootstrapper>().PrepareAsync(printFirstKey: false, ct);
            var accounts = app.Services.GetRequiredService<IAccountStore>();
            Account account;
            try
            {
                account = await accounts.CreateAccountAsync(accountName, ct);
            }
            catch (InvalidOperationException e)
            {
                await Console.Error.WriteLineAsync($"rendition: {e.Message}");
                return 1;
            }
            var key = ApiKeys.Generate();
            await accounts.AddKeyAsync(account.Id, ApiKeys.Hash(key), ApiKeys.DisplayPrefix(key), "created with account", ct);
            Console.WriteLine($"Account: {account.Name} ({account.Id})");
            Console.WriteLine($"API key (shown only now): {key}");
            return 0;
        });
        return new Command("accounts", "Manage accounts") { create };
    }
}
