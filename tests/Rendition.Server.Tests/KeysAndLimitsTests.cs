using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed partial class KeysAndLimitsTests
{
    [GeneratedRegex("ffsk_[0-9a-f]{64}")]
    private static partial Regex KeyPattern();

    private static Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(string dataDir, params string[] args) =>
        TestMedia.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "rendition.dll"), .. args],
            new Dictionary<string, string> { ["RENDITION_DATA_DIR"] = dataDir, ["Logging__LogLevel__Default"] = "Warning" });

    [Fact]
    public async Task Burst_OverTheLimit_Gets429WithRetryAfter_AndAnotherKeyIsUnaffected()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_RATE_LIMIT_PER_MINUTE"] = "5",
            ["RENDITION_SUBMIT_LIMIT_PER_MINUTE"] = "2",
        });
        var statuses = new List<int>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await server.Http.GetAsync($"/api/v1/commands/{Guid.NewGuid()}");
            statuses.Add((int)response.StatusCode);
            if ((int)response.StatusCode == 429)
            {
                limited ??= response;
            }
        }
        Assert.Equal(5, statuses.Count(s => s == 404));
        Assert.Equal(3, statuses.Count(s => s == 429));
        Assert.NotNull(limited);
        var retryAfter = limited!.Headers.RetryAfter?.Delta ?? TimeSpan.Parse("00:00:" + limited.Headers.GetValues("Retry-After").First(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter.TotalSeconds, 1, 60);
        var body = await limited.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("RATE_LIMITED", body!["error"]!.GetValue<string>());

        // Another key has its own budget, and the health check is not metered.
        using var other = await server.CreateAccountClientAsync();
        Assert.Equal(404, (int)(await other.GetAsync($"/api/v1/commands/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(200, (int)(await server.Http.GetAsync("/health")).StatusCode);

        // Submissions have a smaller budget of their own.
        var submits = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            submits.Add((int)(await other.PostAsJsonAsync("/api/v1/run-ffmpeg-command", new { })).StatusCode);
        }
        Assert.Equal(new[] { 422, 422, 429 }, submits);

        // Bad keys are limited per client address, so they throttle only their sender.
        using var bad = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        bad.DefaultRequestHeaders.Add("X-API-KEY", "ffsk_" + new string('0', 64));
        var badStatuses = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            badStatuses.Add((int)(await bad.GetAsync("/api/v1/commands")).StatusCode);
        }
        Assert.Equal(5, badStatuses.Count(s => s == 401));
        Assert.Equal(2, badStatuses.Count(s => s == 429));
    }

    [Fact]
    public async Task Cli_CreatesListsAndRevokesKeys_WhileTheServerRuns()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var name = $"cli-{Guid.NewGuid():N}";
        var created = await CliAsync(server.DataDir, "accounts", "create", name);
        Assert.Equal(0, created.ExitCode);
        var keyed = await CliAsync(server.DataDir, "keys", "create", "--account", name, "--name", "ci");
        Assert.True(keyed.ExitCode == 0, keyed.Stderr);
        var key = KeyPattern().Match(keyed.Stdout).Value;
        Assert.NotEmpty(key);

        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Add("X-API-KEY", key);
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/commands")).StatusCode);

        var accounts = await CliAsync(server.DataDir, "accounts", "list");
        Assert.Contains(name, accounts.Stdout, StringComparison.Ordinal);
        Assert.Contains("default", accounts.Stdout, StringComparison.Ordinal);

        // Last use is written in batches, a few seconds after the request.
        await Task.Delay(TimeSpan.FromSeconds(6));
        var list = await CliAsync(server.DataDir, "keys", "list", "--account", name);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(key[..12], list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(key[..13], list.Stdout, StringComparison.Ordinal);
        var ciLine = list.Stdout.Split('\n').Single(l => l.Contains(" ci ", StringComparison.Ordinal));
        Assert.DoesNotContain(" - ", ciLine[60..], StringComparison.Ordinal);

        var revoked = await CliAsync(server.DataDir, "keys", "revoke", key[..12]);
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var refused = await client.GetAsync("/api/v1/commands");
        Assert.Equal(401, (int)refused.StatusCode);
        Assert.Equal(1, (await CliAsync(server.DataDir, "keys", "revoke", "ffsk_nothing")).ExitCode);
        Assert.Equal(1, (await CliAsync(server.DataDir, "keys", "list", "--account", "no-such-account")).ExitCode);
    }

    [Fact]
    public async Task Cli_RevokesByTheWholeKeyOrALongerPrefix_AndAnAmbiguousPrefixRevokesNothing()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var name = $"cli-{Guid.NewGuid():N}";
        Assert.Equal(0, (await CliAsync(server.DataDir, "accounts", "create", name)).ExitCode);
        var first = KeyPattern().Match((await CliAsync(server.DataDir, "keys", "create", "--account", name)).Stdout).Value;
        var second = KeyPattern().Match((await CliAsync(server.DataDir, "keys", "create", "--account", name)).Stdout).Value;
        Assert.NotEmpty(first);
        Assert.NotEmpty(second);

        // Two keys that share their first 17 characters, more than the 12 listed (generated keys almost never do, so these are
        // stored directly, as `keys create` stores them).
        var accounts = server.Services.GetRequiredService<Rendition.Core.Storage.IAccountStore>();
        var account = (await accounts.FindByNameAsync(name, CancellationToken.None))!;
        var twinA = "ffsk_abcdef012345" + "a" + new string('1', 51);
        var twinB = "ffsk_abcdef012345" + "b" + new string('2', 51);
        foreach (var twin in new[] { twinA, twinB })
        {
            await accounts.AddKeyAsync(account.Id, Rendition.Core.Security.ApiKeys.ForStorage(twin), "twin", CancellationToken.None);
        }

        async Task<int> StatusWithAsync(string key)
        {
            using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            client.DefaultRequestHeaders.Add("X-API-KEY", key);
            return (int)(await client.GetAsync("/api/v1/commands")).StatusCode;
        }

        // A 16-character prefix of a real key (the listed prefix is 12).
        var byPrefix = await CliAsync(server.DataDir, "keys", "revoke", first[..16]);
        Assert.True(byPrefix.ExitCode == 0, byPrefix.Stderr);
        Assert.Contains($"({first[..12]}...)", byPrefix.Stdout, StringComparison.Ordinal);

        // The whole key; the answer never repeats more of it than the listed prefix.
        var byKey = await CliAsync(server.DataDir, "keys", "revoke", second);
        Assert.True(byKey.ExitCode == 0, byKey.Stderr);
        Assert.DoesNotContain(second[..13], byKey.Stdout + byKey.Stderr, StringComparison.Ordinal);

        // Ambiguous: says so, names both, revokes neither.
        var ambiguous = await CliAsync(server.DataDir, "keys", "revoke", twinA[..16]);
        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("matches 2 keys", ambiguous.Stderr, StringComparison.Ordinal);
        Assert.Contains("none was revoked", ambiguous.Stderr, StringComparison.Ordinal);
        // A longer prefix wrong past the listed part matches nothing.
        var wrong = await CliAsync(server.DataDir, "keys", "revoke", twinA[..17] + "c");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("no key matches", wrong.Stderr, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal(200, await StatusWithAsync(twinA));
        Assert.Equal(200, await StatusWithAsync(twinB));

        // One more character tells them apart.
        var byLonger = await CliAsync(server.DataDir, "keys", "revoke", twinA[..18]);
        Assert.True(byLonger.ExitCode == 0, byLonger.Stderr);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal(401, await StatusWithAsync(first));
        Assert.Equal(401, await StatusWithAsync(second));
        Assert.Equal(401, await StatusWithAsync(twinA));
        Assert.Equal(200, await StatusWithAsync(twinB));
        var list = await CliAsync(server.DataDir, "keys", "list", "--account", name);
        Assert.Equal(3, list.Stdout.Split('\n').Count(l => l.TrimEnd().EndsWith("revoked", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task KeysAreNeverStoredInPlainText()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        await server.Http.GetAsync("/api/v1/commands");
        await server.RestartAsync();
        var bytes = new List<byte>();
        foreach (var file in Directory.EnumerateFiles(server.DataDir, "rendition.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            bytes.AddRange(buffer.ToArray());
        }
        var text = Encoding.ASCII.GetString([.. bytes]);
        Assert.DoesNotContain(RenditionTestServer.ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(RenditionTestServer.ApiKey[12..], text, StringComparison.Ordinal);
        // Besides the hash, at most the lookup prefix (21 characters) is kept: never more of the key.
        Assert.Contains(RenditionTestServer.ApiKey[..21], text, StringComparison.Ordinal);
        Assert.DoesNotContain(RenditionTestServer.ApiKey[..22], text, StringComparison.Ordinal);
        Assert.Contains(Rendition.Core.Security.ApiKeys.Hash(RenditionTestServer.ApiKey), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneAccountsBacklog_DoesNotBlockAnotherAccountsNextJob()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 2);
        using var a = await server.CreateAccountClientAsync();
        using var b = await server.CreateAccountClientAsync();
        var backlog = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            backlog.Add(await server.SubmitAsync(new
            {
                input_files = new Dictionary<string, string>(),
                output_files = new { out_v = $"slow{i}.mp4" },
                ffmpeg_command = "-re -f lavfi -i testsrc2=s=32x32:r=10:d=1 {{out_v}}",
            }, client: a));
        }
        var mine = await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "quick.mp4" },
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:r=10:d=1 {{out_v}}",
        }, client: b);
        var done = await server.WaitAsync(mine, client: b, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("SUCCESS", done["status"]!.GetValue<string>());

        var queued = 0;
        foreach (var id in backlog)
        {
            var status = (await a.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>();
            queued += status == "QUEUED" ? 1 : 0;
        }
        Assert.True(queued >= 10, $"B's job should finish while most of A's backlog waits; only {queued} of 20 were still queued");
    }
}
