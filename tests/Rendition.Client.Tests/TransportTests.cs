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

    private static RenditionClient Client(StubServer stub, TimeSpan? longPoll = null, TimeProvider? clock = null) =>
        new(new HttpClient(), new RenditionClientOptions
        {
            BaseAddress = new Uri(stub.BaseUrl),
            ApiKey = "ffsk_test",
            LongPollWait = longPoll ?? TimeSpan.FromSeconds(30),
            TimeProvider = clock ?? TimeProvider.System,
        });

    [Fact]
    public async Task WaitAsync_AgainstAServerIgnoringWait_BacksOffBetweenPolls_AndTimesOut()
    {
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Poll("PROCESSING")));
        var clock = new SteppingClock();

        var e = await Assert.ThrowsAsync<TimeoutException>(() => Client(stub, clock: clock).WaitAsync(CommandId, TimeSpan.FromSeconds(2)));

        Assert.Contains("PROCESSING", e.Message, StringComparison.Ordinal);
        // Every answer came at once (the stub ignores ?wait=), so the client backed off between polls, doubling from 250 ms,
        // and the deadline cut the last sleep short: a poll before each sleep and one after the last, then the timeout.
        Assert.Equal([250.0, 500, 1000, 250], clock.Sleeps.Select(s => s.TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(2), clock.Elapsed);
        var polls = stub.Requests.ToList();
        // Each poll asks for what is left of the timeout (whole seconds); none is left for the last two.
        Assert.Equal(["?wait=2", "?wait=1", "?wait=1", "", ""], polls.Select(p => p.PathAndQuery[$"/api/v1/commands/{CommandId}".Length..]));
        Assert.All(polls, p => Assert.Equal("ffsk_test", p.Headers["x-api-key"]));
    }

    [Fact]
    public async Task WaitAsync_AgainstAServerHoldingPolls_PollsAgainAtOnce_UntilFinal()
    {
        var calls = 0;
        var clock = new SteppingClock();
        await using var stub = await StubServer.StartAsync(context =>
        {
            var n = Interlocked.Increment(ref calls);
            // Holds the request as a ?wait=-aware server does while nothing changes: on the client's clock, the wait passes.
            clock.Advance(TimeSpan.FromSeconds(int.Parse(context.Request.Query["wait"]!, System.Globalization.CultureInfo.InvariantCulture)));
            return Task.FromResult(Poll(n < 5 ? "PROCESSING" : "SUCCESS"));
        });

        var done = await Client(stub, TimeSpan.FromSeconds(1), clock).WaitAsync(CommandId, TimeSpan.FromSeconds(30));

        Assert.Equal(CommandStatuses.Success, done.Status);
        var polls = stub.Requests.ToList();
        Assert.Equal(5, polls.Count);
        Assert.All(polls, p => Assert.EndsWith("?wait=1", p.PathAndQuery, StringComparison.Ordinal));
        // No backoff on top of a held request: the holds spaced the polls out, the client never slept.
        Assert.Empty(clock.Sleeps);
    }

    [Fact]
    public async Task WaitForFileAsync_BacksOffUntilStored()
    {
        var calls = 0;
        await using var stub = await StubServer.StartAsync(_ => Task.FromResult(Results.Text(
            $$"""{"file_id":"f","status":"{{(Interlocked.Increment(ref calls) < 4 ? "PROCESSING" : "STORED")}}"}""", "application/json")));
        var clock = new SteppingClock();

        var file = await Client(stub, clock: clock).WaitForFileAsync("f", TimeSpan.FromSeconds(30));

        Assert.Equal("STORED", file.Status);
        Assert.Equal([250.0, 500, 1000], clock.Sleeps.Select(s => s.TotalMilliseconds));
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
