using System.CommandLine;

namespace Rendition.Server.Cli;

/// <summary>
/// The <c>rendition</c> command line: the server side (<c>serve</c>, the default; <c>worker</c>; <c>accounts</c>; <c>keys</c>)
/// and the client side for people at a terminal (<c>run</c>, <c>status</c>, <c>ls</c>, <c>logs</c>, <c>cancel</c>).
/// </summary>
public static class RenditionCli
{
    /// <summary>The root command; <paramref name="cli"/> is where the client commands write and read their settings.</summary>
    public static RootCommand BuildRoot(CliContext cli)
    {
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
        foreach (var command in ClientCommands.Build(cli))
        {
            root.Subcommands.Add(command);
        }
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction((parse, ct) => RenditionApp.RunAsync([.. parse.UnmatchedTokens], ct));
        return root;
    }
}
