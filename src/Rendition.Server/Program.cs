using System.CommandLine;
using Rendition.Server;
using Rendition.Server.Cli;

var serve = new Command("serve", "Run the API server with in-process workers (the default)");
serve.TreatUnmatchedTokensAsErrors = false;
serve.SetAction((parse, ct) => RenditionApp.RunAsync([.. parse.UnmatchedTokens], ct));

var root = new RootCommand("Rendition: a self-hosted FFmpeg API server speaking the RenderIO and Rendi wire formats")
{
    serve,
    AccountsCommands.BuildAccounts(),
    AccountsCommands.BuildKeys(),
};
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction((parse, ct) => RenditionApp.RunAsync([.. parse.UnmatchedTokens], ct));
return await root.Parse(args).InvokeAsync();
