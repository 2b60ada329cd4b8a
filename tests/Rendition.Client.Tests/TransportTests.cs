using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Rendition.Client.Tests;

/// <summary>
/// Behaviour that needs a server misbehaving on demand: a server without <c>?wait=</c> support, one that holds polls, one that
/// fails. A stub stands in for it; everything else is tested against the real server.
/// </summary>
public sealed class TransportTests
{
    private const string CommandId = "11111111-1111-1111-1111-111111111111";

    private static IResult Poll(string status) => Results.Text(
        "{\"command_id\":\"" + CommandId + "\",\"status\":\"" + status + "\",\"command_type\":\"FFMPEG_COMMAND\",\"output_files\":{},"
        + "\"original_request\":{\"input_files\":{},\"output_files\":{}}}",
        "application/json");

    private static RenditionClient Client(StubServer stub, TimeSpan? longPoll = null) =>
        new(new HttpClient(), new RenditionClientOptions { BaseAddress = new Uri(stub.BaseUrl), ApiKey = "ffsk_test", LongPollWait = longPoll ?? TimeSpan.FromSeconds(30) });

    [Fact]
    public async Task WaitAsync_AgainstAServerIgnoringWait_BacksOffBetweenPolls_AndTimesOut()
    {
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Poll("PROCESSING")));
        var started = Stopwatch.GetTimestamp();

        var e = await Assert.ThrowsAsync<TimeoutException>(() => Client(stub).WaitAsync(CommandId, TimeSpan.FromSeconds(2)));

        Assert.Contains("PROCESSING", e.Message, StringComparison.Ordinal);
        Assert.InRange(Stopwatch.GetElapsedTime(started).TotalSeconds, 1.9, 4);
        var polls = stub.Requests.ToList();
        // 250 + 500 + 1000 ms of backoff fit in two seconds: a handful of polls, not a tight loop.
        Assert.InRange(polls.Count, 3, 6);
        var gaps = polls.Zip(polls.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds).ToList();
        // Backoff doubles (250, 500, 1000 ms); the last gap is cut short by the deadline. Loose bounds: timing on a busy machine varies.
        Assert.True(gaps[0] >= 200 && gaps[2] > gaps[0] * 2, $"gaps did not grow: {string.Join(", ", gaps)}");
        Assert.All(polls, p => Assert.Equal("ffsk_test", p.Headers["x-api-key"]));
    }

    [Fact]
    public async Task WaitAsync_AgainstAServerHoldingPolls_PollsAgainAtOnce_UntilFinal()
    {
        var calls = 0;
        await using var stub = await StubServer.StartAsync(async context =>
        {
            var n = Interlocked.Increment(ref calls);
            // Holds the request as a ?wait=-aware server does while nothing changes.
            await Task.Delay(TimeSpan.FromSeconds(int.Parse(context.Request.Query["wait"]!, System.Globalization.CultureInfo.InvariantCulture)));
            return Poll(n < 5 ? "PROCESSING" : "SUCCESS");
        });

        var done = await Client(stub, TimeSpan.FromSeconds(1)).WaitAsync(CommandId, TimeSpan.FromSeconds(30));

        Assert.Equal(CommandStatuses.Success, done.Status);
        var polls = stub.Requests.ToList();
        Assert.Equal(5, polls.Count);
        Assert.All(polls, p => Assert.EndsWith("?wait=1", p.PathAndQuery, StringComparison.Ordinal));
        // No backoff on top of a held request: four holds of 1 s take ~4 s; backing off as well would add 250+500+1000+2000 ms.
        Assert.InRange((polls[^1].At - polls[0].At).TotalSeconds, 3.9, 6);
    }

    [Fact]
    public async Task AnErrorBodyThatIsNotJson_StillBecomesAnApiException()
    {
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Results.Text("<html>bad gateway</html>", "text/html", statusCode: 502)));
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => Client(stub).GetAsync(CommandId));
        Assert.Equal((HttpStatusCode.BadGateway, "HTTP_502"), (e.StatusCode, e.Error));
        Assert.Contains("bad gateway", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimited_CarriesRetryAfter()
    {
        await using var stub = await StubServer.StartAsync(context =>
        {
            context.Response.Headers.RetryAfter = "7";
            return Task.FromResult(Results.Json(new { error = "RATE_LIMITED", message = "slow down" }, statusCode: 429));
        });
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => Client(stub).ListAsync());
        Assert.Equal(("RATE_LIMITED", "slow down"), (e.Error, e.Message));
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
    }

    [Fact]
    public async Task DiClient_RetriesIdempotentCalls_ButNeverResendsAPost()
    {
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Results.Json(new { error = "UNAVAILABLE", message = "down" }, statusCode: 503)));
        var services = new ServiceCollection();
        services.AddRenditionClient(o =>
        {
            o.BaseAddress = new Uri(stub.BaseUrl);
            o.ApiKey = "ffsk_test";
            o.MaxRetryAttempts = 2;
            o.RetryDelay = TimeSpan.FromMilliseconds(1);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<RenditionClient>();

        var post = await Assert.ThrowsAsync<RenditionApiException>(() => client.RunAsync(ClientFixture.TinyCommand()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
        await Assert.ThrowsAsync<RenditionApiException>(() => client.GetAsync(CommandId));
        await Assert.ThrowsAsync<RenditionApiException>(() => client.SetWebhookConfigAsync(new WebhookConfigRequest { Url = "https://example.com/hook" }));
        await Assert.ThrowsAsync<RenditionApiException>(() => client.DeleteFileAsync(CommandId));

        var byMethod = stub.Requests.GroupBy(r => r.Method).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, byMethod["POST"]);
        Assert.Equal(3, byMethod["GET"]);
        Assert.Equal(3, byMethod["PUT"]);
        Assert.Equal(3, byMethod["DELETE"]);
    }

    [Fact]
    public async Task DownloadAsync_NeverSendsTheApiKey()
    {
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Results.Bytes([1, 2, 3], "video/mp4")));
        using var sink = new MemoryStream();

        await Client(stub).DownloadAsync($"{stub.BaseUrl}/storage/abc/clip.mp4?expires=1&sig=x", sink);

        Assert.Equal([1, 2, 3], sink.ToArray());
        Assert.False(Assert.Single(stub.Requests).Headers.ContainsKey("x-api-key"));
    }

    [Fact]
    public async Task ABaseAddressWithAPath_KeepsThePath()
    {
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Poll("SUCCESS")));
        var client = new RenditionClient(new HttpClient(), new RenditionClientOptions { BaseAddress = new Uri(stub.BaseUrl + "/ffmpeg") });

        await client.GetAsync(CommandId);

        Assert.Equal($"/ffmpeg/api/v1/commands/{CommandId}", Assert.Single(stub.Requests).PathAndQuery);
    }
}
