using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Execution;
using Rendition.Server.Accounts;
using Rendition.Server.Commands;
using Rendition.Server.Files;
using Rendition.Server.Presets;
using Rendition.Server.Webhooks;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>
/// The services every door calls (the API today, MCP tools and the console next), called without HTTP: an account in,
/// outcomes out — values, or problems that say what is wrong in the words the API uses.
/// </summary>
[Collection("server")]
public sealed class ServiceDoorTests(ServerFixture fx)
{
    private T Service<T>()
        where T : notnull => fx.Server.Services.GetRequiredService<T>();

    private async Task<Account> AccountAsync() =>
        (await Service<IAccountStore>().FindByNameAsync(Bootstrapper.DefaultAccountName, CancellationToken.None))!;

    [Fact]
    public async Task Commands_SubmitWaitAndGet_WithoutHttp()
    {
        var account = await AccountAsync();
        var request = new SubmitCommandRequest
        {
            InputFiles = new Dictionary<string, string?> { ["in_v"] = fx.Inputs.Url("small.mp4") },
            OutputFiles = new RequestedOutputs(new Dictionary<string, string?> { ["out_v"] = "door.mp4" }),
            FfmpegCommand = "-i {{in_v}} -c copy {{out_v}}",
        };

        var submitted = await Service<CommandService>().SubmitAsync(account, request, chained: false,
            new SubmitOptions(ApiFlavor.RenderIO, Wait: TimeSpan.FromSeconds(60)), CancellationToken.None);

        Assert.Null(submitted.Problem);
        var id = Assert.Single(submitted.Value!.CommandIds);
        Assert.Equal("SUCCESS", submitted.Value.Finished?.Status);
        var poll = await Service<CommandService>().GetAsync(account, id, ApiFlavor.RenderIO, CancellationToken.None);
        Assert.Equal("door.mp4", poll.Value!.OutputFiles["out_v"].Filename);
    }

    [Fact]
    public async Task Commands_Problems_SayWhatIsWrong()
    {
        var account = await AccountAsync();
        var commands = Service<CommandService>();

        var invalid = await commands.SubmitAsync(account, new SubmitCommandRequest { FfmpegCommand = "-i {{in_x}} {{out_y}}" }, chained: false,
            new SubmitOptions(ApiFlavor.RenderIO), CancellationToken.None);
        var missing = await commands.GetAsync(account, "not-a-command", ApiFlavor.RenderIO, CancellationToken.None);
        var noFiles = await commands.DeleteFilesAsync(account, Guid.NewGuid().ToString(), CancellationToken.None);

        Assert.Equal((ProblemKind.Invalid, ErrorCodes.ValidationError), (invalid.Problem!.Kind, invalid.Problem.Code));
        Assert.Contains(invalid.Problem.Details!, d => d.Field == "output_files");
        Assert.Equal((ProblemKind.NotFound, "Command not-a-command was not found."), (missing.Problem!.Kind, missing.Problem.Message));
        Assert.Equal(ProblemKind.NotFound, noFiles.Problem!.Kind);
    }

    [Fact]
    public async Task FilesPresetsAndWebhooks_AnswerWithProblems_NotExceptions()
    {
        var account = await AccountAsync();

        var badUrl = await Service<FileService>().StoreFromUrlAsync(account, "ftp://example.com/a.mp4", CancellationToken.None);
        var tooMany = await Service<FileService>().DeleteManyAsync(account, [], CancellationToken.None);
        var noPreset = await Service<PresetService>().GetAsync(account, "prs_none", CancellationToken.None);
        var noCommand = await Service<WebhookService>().RedeliverAsync(account, Guid.NewGuid().ToString(), CancellationToken.None);

        Assert.Equal(("file_url", ProblemKind.Invalid), (Assert.Single(badUrl.Problem!.Details!).Field, badUrl.Problem.Kind));
        Assert.Equal("file_ids", Assert.Single(tooMany.Problem!.Details!).Field);
        Assert.Equal(ProblemKind.NotFound, noPreset.Problem!.Kind);
        Assert.Equal(ProblemKind.NotFound, noCommand.Problem!.Kind);
    }

    [Fact]
    public async Task Accounts_IssueKeysThatTheApiAccepts_AndRefuseDuplicatesAndBadNames()
    {
        var accounts = Service<AccountService>();
        var name = $"door-{Guid.NewGuid():N}";

        var created = await accounts.CreateAccountAsync(name, "test", CancellationToken.None);
        var again = await accounts.CreateAccountAsync(name, "test", CancellationToken.None);
        var blank = await accounts.CreateAccountAsync("  ", "test", CancellationToken.None);
        var unknownKey = await accounts.RevokeKeyAsync("ffsk_nothing_like_this", CancellationToken.None);

        Assert.Equal(ProblemKind.Conflict, again.Problem!.Kind);
        Assert.Equal(ProblemKind.Invalid, blank.Problem!.Kind);
        Assert.Equal(ProblemKind.NotFound, unknownKey.Problem!.Kind);
        using var http = new HttpClient { BaseAddress = new Uri(fx.Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-API-KEY", created.Value!.Key);
        using var listed = await http.GetAsync("/api/v1/commands");
        Assert.True(listed.IsSuccessStatusCode, $"the new account's key was refused: {(int)listed.StatusCode}");
    }

    /// <summary>Rendition's own background services (the framework adds its own, e.g. the health check publisher).</summary>
    private static bool Ours(Type type) => type.Namespace?.StartsWith("Rendition.", StringComparison.Ordinal) == true;

    [Fact]
    public async Task Composition_RunsEachBackgroundServiceOnce_AndEachRoleOnlyWhatItRuns()
    {
        var dataDir = Directory.CreateTempSubdirectory("rendition-compose-").FullName;
        try
        {
            var options = new RenditionOptions { DataDir = dataDir, Sandbox = "off" };
            await using var serve = new ServiceCollection().AddLogging().AddMetrics().AddRenditionApi(options).AddRenditionWorkers(options).BuildServiceProvider();
            await using var worker = new ServiceCollection().AddLogging().AddMetrics().AddRenditionWorkers(options).BuildServiceProvider();

            Assert.Equal(
                [nameof(DependencyWatch), nameof(FileIngestService), nameof(FileRetentionService), nameof(JobWorkerService), nameof(Auth.KeyUsageFlusher),
                    nameof(SandboxNotice), nameof(WebhookDispatcher)],
                serve.GetServices<IHostedService>().Select(h => h.GetType()).Where(Ours).Select(t => t.Name).Order(StringComparer.Ordinal));
            Assert.Equal(
                [nameof(DependencyWatch), nameof(FileRetentionService), nameof(JobWorkerService), nameof(SandboxNotice), nameof(WebhookDispatcher)],
                worker.GetServices<IHostedService>().Select(h => h.GetType()).Where(Ours).Select(t => t.Name).Order(StringComparer.Ordinal));
            Assert.Null(worker.GetService<CommandService>());
            Assert.Null(worker.GetService<FileIngestService>());
            Assert.Null(worker.GetService<Auth.ApiKeyAuthenticator>());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
