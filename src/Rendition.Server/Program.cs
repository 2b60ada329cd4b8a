using Rendition.Server.Cli;

return await RenditionCli.BuildRoot(CliContext.FromProcess()).Parse(args).InvokeAsync();
