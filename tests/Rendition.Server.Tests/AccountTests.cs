using System.Text.RegularExpressions;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed partial class AccountTests(ServerFixture fx)
{
    [GeneratedRegex("ffsk_[0-9a-f]{64}")]
    private static partial Regex KeyPattern();

    /// <summary>Runs the real CLI (<c>dotnet rendition.dll accounts create NAME</c>) against the running server's data directory.</summary>
    private async Task<string> CreateAccountWithCliAsync(string name)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "rendition.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing");
        var (exit, stdout, stderr) = await TestMedia.RunAsync("dotnet", [dll, "accounts", "create", name],
            new Dictionary<string, string> { ["RENDITION_DATA_DIR"] = fx.Server.DataDir, ["Logging__LogLevel__Default"] = "Warning" });
        Assert.True(exit == 0, $"CLI failed ({exit}): {stderr}");
        var match = KeyPattern().Match(stdout);
        Assert.True(match.Success, $"no key in CLI output: {stdout}");
        return match.Value;
    }

    [Fact]
    public async Task CliCreatedAccount_CanSubmit_ButCannotSeeAnotherAccountsCommand()
    {
        var key = await CreateAccountWithCliAsync($"team-{Guid.NewGuid():N}");
        using var other = new HttpClient { BaseAddress = new Uri(fx.Server.BaseUrl) };
        other.DefaultRequestHeaders.Add("X-API-KEY", key);

        var mine = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "mine.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        });
        var theirs = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "theirs.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }, client: other);

        // Another account's command is 404, never 403, on both APIs.
        Assert.Equal(404, (int)(await other.GetAsync($"/api/v1/commands/{mine}")).StatusCode);
        Assert.Equal(404, (int)(await other.GetAsync($"/v1/commands/{mine}")).StatusCode);
        Assert.Equal(404, (int)(await fx.Server.Http.GetAsync($"/api/v1/commands/{theirs}")).StatusCode);
        Assert.Equal(200, (int)(await other.GetAsync($"/api/v1/commands/{theirs}")).StatusCode);
    }

    [Fact]
    public async Task Cli_RefusesADuplicateAccountName()
    {
        var name = $"dup-{Guid.NewGuid():N}";
        await CreateAccountWithCliAsync(name);
        var dll = Path.Combine(AppContext.BaseDirectory, "rendition.dll");
        var (exit, _, stderr) = await TestMedia.RunAsync("dotnet", [dll, "accounts", "create", name],
            new Dictionary<string, string> { ["RENDITION_DATA_DIR"] = fx.Server.DataDir });
        Assert.NotEqual(0, exit);
        Assert.Contains("already exists", stderr, StringComparison.Ordinal);
    }
}
