using System.CommandLine;
using Rendition.Server;
using Rendition.Server.Cli;

var serve = new Command("serve", "Run the API server with in-process workers (the default)");
serve.TreatUnmatchedTokensAsErrors = false;
serve.SetAction((parse, ct) => RenditionApp.RunAsync([.. parse.UnmatchedTokens], ct));

var worker = new Command("worker", "Run workers only (no HTTP API), sharing the database and blob store with the API nodes");
worker.TreatUnmatchedTokensAsErrors = false;
worker.SetAction((parse, ct) => RenditionApp.RunWorkerAsync([.. parse.UnmatchedTokens], ct));

var root = new RootCommand("Rendition: a self-hosted FFmpeg API server speaking the RenderIO and Rendi wire formats")
{
    serve,
    worker,
    AccountsCommands.BuildAccounts(),
    AccountsCommands.BuildKeys(),
};
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction((parse, ct) => RenditionApp.RunAsync([.. parse.UnmatchedTokens], ct));
return await root.Parse(args).InvokeAsync();
