using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class WebhookTests(ServerFixture fx)
{
    private const string Secret = "test-secret-0123456789";

    private object Copy(string? webhookUrl = null, string input = "small.mp4") => new
    {
        input_files = new { in_v = fx.Inputs.Url(input) },
        output_files = new { out_v = "hooked.mp4" },
        ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        webhook_url = webhookUrl,
    };

    private static Task<RenditionTestServer> ServerAsync(string schedule = "0,1,1") =>
        RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_WEBHOOK_RETRY_SCHEDULE"] = schedule });

    private static async Task PutConfigAsync(HttpClient client, string url, string? secret = Secret)
    {
        var response = await client.PutAsJsonAsync("/api/v1/webhook-config", secret is null ? new { url } : (object)new { url, secret });
        Assert.Equal(200, (int)response.StatusCode);
    }

    private static void StripUrls(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            o.Remove("storage_url");
            foreach (var child in o.Select(p => p.Value).ToList())
            {
                StripUrls(child);
            }
        }
    }

    [Fact]
    public async Task Delivery_IsSignedBothWays_AndCarriesExactlyThePollObject()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await ServerAsync();
        var put = await server.Http.PutAsJsonAsync("/api/v1/webhook-config", new { url = receiver.Url("account"), secret = Secret });
        var putBody = (await put.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(putBody["success"]!.GetValue<bool>());
        Assert.Null(putBody["secret"]);

        var id = await server.SubmitAsync(Copy());
        var poll = await server.WaitAsync(id);
        var hook = (await receiver.WaitForAsync("account", 1))[0];

        Assert.Equal("application/json", hook.Headers["content-type"].Split(';')[0]);
        Assert.Equal("Rendition-Webhook/1.0", hook.Headers["user-agent"]);
        var expectedHex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), hook.Body));
        Assert.Equal(expectedHex, hook.Headers["x-webhook-signature"]);
        var signed = Encoding.UTF8.GetBytes($"{hook.Headers["webhook-id"]}.{hook.Headers["webhook-timestamp"]}.").Concat(hook.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed)), hook.Headers["webhook-signature"]);
        Assert.True(Math.Abs(long.Parse(hook.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow.ToUnixTimeSeconds()) < 60);

        var payload = JsonNode.Parse(hook.Body)!.AsObject();
        Assert.Equal(2, payload.Count);
        Assert.True(payload["timestamp"]!.GetValue<long>() > 1_700_000_000_000);
        var data = payload["data"]!.DeepClone();
        var expected = poll.DeepClone();
        StripUrls(data);
        StripUrls(expected);
        Assert.True(JsonNode.DeepEquals(expected, data), $"payload data differs from the poll object:\n{data}\n{expected}");
        Assert.StartsWith(server.BaseUrl + "/storage/", payload["data"]!["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GeneratedSecret_IsReturnedOnce_AndKeysTheStandardSignatureAsWhsec()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await ServerAsync();
        var put = await server.Http.PutAsJsonAsync("/api/v1/webhook-config", new { url = receiver.Url("gen") });
        var secret = (await put.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var again = await server.Http.PutAsJsonAsync("/api/v1/webhook-config", new { url = receiver.Url("gen") });
        Assert.Null((await again.Content.ReadFromJsonAsync<JsonObject>())!["secret"]);

        await server.WaitAsync(await server.SubmitAsync(Copy()));
        var hook = (await receiver.WaitForAsync("gen", 1))[0];
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{hook.Headers["webhook-id"]}.{hook.Headers["webhook-timestamp"]}.").Concat(hook.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), hook.Headers["webhook-signature"]);
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), hook.Body)), hook.Headers["x-webhook-signature"]);
    }

    [Fact]
    public async Task CommandsOwnWebhookUrl_ReplacesTheAccounts_AndFailedCommandsAreDeliveredToo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await ServerAsync();
        await PutConfigAsync(server.Http, receiver.Url("account"));
        await server.WaitAsync(await server.SubmitAsync(Copy(receiver.Url("override"))));
        var failed = await server.WaitAsync(await server.SubmitAsync(Copy(receiver.Url("override"), "missing.mp4")));
        Assert.Equal("FAILED", failed["status"]!.GetValue<string>());

        var hooks = await receiver.WaitForAsync("override", 2);
        Assert.Empty(receiver.For("account"));
        var statuses = hooks.Select(h => JsonNode.Parse(h.Body)!["data"]!["status"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(new[] { "FAILED", "SUCCESS" }, statuses);
        var failedHook = hooks.Select(h => JsonNode.Parse(h.Body)!["data"]!).Single(d => d["status"]!.GetValue<string>() == "FAILED");
        Assert.Equal("UNREACHABLE_INPUT_FILE", failedHook["error_status"]!.GetValue<string>());
        // Signed with the account's secret even though it went to the command's own URL.
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), hooks[0].Body)), hooks[0].Headers["x-webhook-signature"]);
    }

    [Fact]
    public async Task ReceiverFailingTwice_GetsExactlyThreeAttempts_AllLogged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailFirst["flaky"] = 2;
        await using var server = await ServerAsync("0,1,1,1,1");
        await PutConfigAsync(server.Http, receiver.Url("flaky"));
        var id = await server.SubmitAsync(Copy());
        await server.WaitAsync(id);
        await receiver.WaitForAsync("flaky", 3);

        JsonObject log;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await Task.Delay(100);
            log = (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}/webhook-deliveries"))!;
        }
        while (log["deliveries"]![0]!["status"]!.GetValue<string>() != "DELIVERED" && DateTime.UtcNow < deadline);
        await Task.Delay(2500);
        Assert.Equal(3, receiver.For("flaky").Count);

        var delivery = Assert.Single(log["deliveries"]!.AsArray())!;
        Assert.Equal("DELIVERED", delivery["status"]!.GetValue<string>());
        var attempts = delivery["attempts"]!.AsArray();
        Assert.Equal(new int?[] { 500, 500, 200 }, attempts.Select(a => a!["http_status"]?.GetValue<int>()));
        Assert.All(attempts, a => Assert.Equal(receiver.Url("flaky"), a!["url"]!.GetValue<string>()));
        Assert.Contains("500", attempts[0]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        // The same message id on every retry, so receivers can drop duplicates.
        Assert.Single(receiver.For("flaky").Select(r => r.Headers["webhook-id"]).Distinct());
        var config = (await server.Http.GetFromJsonAsync<JsonObject>("/api/v1/webhook-config"))!;
        Assert.Equal(0, config["consecutive_failures"]!.GetValue<int>());
    }

    [Fact]
    public async Task HangingAndSlowReceivers_HoldOneSlotEach_WhileOtherAccountsHooksGoOutAtOnce()
    {
        const int receiverTimeout = 4;
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hang["hang"] = true;
        receiver.Delay["slow"] = TimeSpan.FromSeconds(1.5);
        await using var server = await RenditionTestServer.StartAsync(workers: 2, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_WEBHOOK_RETRY_SCHEDULE"] = "0,1",
            ["RENDITION_WEBHOOK_TIMEOUT_SECONDS"] = receiverTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Three slots, one per URL: without the per-URL share, the hanging receiver's two deliveries and a slow one would fill them all.
            ["RENDITION_WEBHOOK_CONCURRENCY"] = "3",
            ["RENDITION_WEBHOOK_CONCURRENCY_PER_URL"] = "1",
        });
        var accounts = new Dictionary<string, (Guid Id, HttpClient Client, string Secret)>();
        foreach (var path in new[] { "hang", "slow", "n1", "n2", "n3" })
        {
            var (id, client) = await server.CreateAccountAsync();
            var secret = $"secret-of-{path}-0123456789";
            await PutConfigAsync(client, receiver.Url(path), secret);
            accounts[path] = (id, client, secret);
        }
        try
        {
            var hung = new List<string>();
            foreach (var path in new[] { "hang", "hang", "slow", "slow" })
            {
                var id = await server.SubmitAsync(Copy(), client: accounts[path].Client);
                if (path == "hang")
                {
                    hung.Add(id);
                }
            }
            // The hanging receiver holds a delivery open before the other accounts' commands even start.
            await receiver.WaitForAsync("hang", 1);
            var normal = new List<(string Path, string Id)>();
            foreach (var path in new[] { "n1", "n2", "n3", "n1", "n2", "n3" })
            {
                normal.Add((path, await server.SubmitAsync(Copy(), client: accounts[path].Client)));
            }

            var store = server.Services.GetRequiredService<Rendition.Core.Storage.ICommandStore>();
            foreach (var path in new[] { "n1", "n2", "n3" })
            {
                var hooks = await receiver.WaitForAsync(path, 2);
                foreach (var hook in hooks)
                {
                    var commandId = Guid.Parse(JsonNode.Parse(hook.Body)!["data"]!["command_id"]!.GetValue<string>());
                    Assert.Contains((path, commandId.ToString()), normal);
                    var (command, _) = (await store.GetAsync(accounts[path].Id, commandId, CancellationToken.None))!.Value;
                    // Sent as soon as the command finished: well before the hanging receiver's timeout, which it would wait out if
                    // deliveries waited for each other.
                    var lag = hook.ReceivedAt - DateTimeOffset.FromUnixTimeMilliseconds(command.CompletedAt!.Value);
                    Assert.True(lag < TimeSpan.FromSeconds(receiverTimeout / 2.0), $"{path}'s webhook arrived {lag.TotalMilliseconds:0} ms after its command finished");
                    var secret = accounts[path].Secret;
                    Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), hook.Body)), hook.Headers["x-webhook-signature"]);
                    var signed = Encoding.UTF8.GetBytes($"{hook.Headers["webhook-id"]}.{hook.Headers["webhook-timestamp"]}.").Concat(hook.Body).ToArray();
                    Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)), hook.Headers["webhook-signature"]);
                }
            }
            var slow = await receiver.WaitForAsync("slow", 2);
            Assert.All(slow, hook => Assert.Equal(
                Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accounts["slow"].Secret), hook.Body)), hook.Headers["x-webhook-signature"]));

            // The hanging receiver's first delivery: timed out, retried after the schedule's 1 s, timed out again, FAILED; all logged.
            JsonObject delivery;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            do
            {
                await Task.Delay(200);
                var log = (await accounts["hang"].Client.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{hung[0]}/webhook-deliveries"))!;
                delivery = log["deliveries"]![0]!.AsObject();
            }
            while (delivery["status"]!.GetValue<string>() != "FAILED" && DateTime.UtcNow < deadline);
            Assert.Equal("FAILED", delivery["status"]!.GetValue<string>());
            var attempts = delivery["attempts"]!.AsArray();
            Assert.Equal(2, attempts.Count);
            Assert.All(attempts, a =>
            {
                Assert.Null(a!["http_status"]);
                Assert.Equal($"no answer within {receiverTimeout} s", a["error"]!.GetValue<string>());
                Assert.Equal(receiver.Url("hang"), a["url"]!.GetValue<string>());
                Assert.True(a["duration_ms"]!.GetValue<int>() >= (receiverTimeout * 1000) - 50, a.ToJsonString());
            });
            var gap = DateTimeOffset.Parse(attempts[1]!["attempted_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
                - DateTimeOffset.Parse(attempts[0]!["attempted_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(gap >= TimeSpan.FromSeconds(receiverTimeout + 1 - 0.1), $"the retry came {gap.TotalSeconds:0.0} s after the first attempt");
            var firstId = "msg_" + Guid.Parse(delivery["delivery_id"]!.GetValue<string>()).ToString("N");
            Assert.Equal(2, receiver.For("hang").Count(r => r.Headers["webhook-id"] == firstId));

            // One slot per URL, however many of its deliveries were due.
            Assert.Equal(1, receiver.MaxOpen["hang"]);
            Assert.Equal(1, receiver.MaxOpen["slow"]);
        }
        finally
        {
            foreach (var (_, client, _) in accounts.Values)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task PendingDelivery_SurvivesARestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailFirst["restart"] = 1;
        await using var server = await ServerAsync("0,3");
        await PutConfigAsync(server.Http, receiver.Url("restart"));
        await server.WaitAsync(await server.SubmitAsync(Copy()));
        await receiver.WaitForAsync("restart", 1);
        // The retry is due in 3 s; the server goes down before that.
        await server.RestartAsync();
        var hooks = await receiver.WaitForAsync("restart", 2, TimeSpan.FromSeconds(20));
        Assert.Equal(hooks[0].Headers["webhook-id"], hooks[1].Headers["webhook-id"]);
    }

    [Fact]
    public async Task EightFailedAttempts_DisableTheConfig_AndPutReenablesIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailFirst["down"] = int.MaxValue;
        await using var server = await ServerAsync("0,0,0,0,0,0,0,0");
        await PutConfigAsync(server.Http, receiver.Url("down"));
        var id = await server.SubmitAsync(Copy());
        await server.WaitAsync(id);
        await receiver.WaitForAsync("down", 8);

        JsonObject config;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await Task.Delay(100);
            config = (await server.Http.GetFromJsonAsync<JsonObject>("/api/v1/webhook-config"))!;
        }
        while (config["is_active"]!.GetValue<bool>() && DateTime.UtcNow < deadline);
        Assert.True(config["configured"]!.GetValue<bool>());
        Assert.False(config["is_active"]!.GetValue<bool>());
        Assert.Equal(8, config["consecutive_failures"]!.GetValue<int>());
        Assert.NotNull(config["disabled_at"]);
        var log = (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}/webhook-deliveries"))!;
        Assert.Equal("FAILED", log["deliveries"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(8, log["deliveries"]![0]!["attempt_count"]!.GetValue<int>());

        // A disabled config gets nothing new.
        await server.WaitAsync(await server.SubmitAsync(Copy()));
        await Task.Delay(1500);
        Assert.Equal(8, receiver.For("down").Count);

        await PutConfigAsync(server.Http, receiver.Url("down"), secret: null);
        var enabled = (await server.Http.GetFromJsonAsync<JsonObject>("/api/v1/webhook-config"))!;
        Assert.True(enabled["is_active"]!.GetValue<bool>());
        Assert.Equal(0, enabled["consecutive_failures"]!.GetValue<int>());
        Assert.Null(enabled["disabled_at"]);

        Assert.Equal(200, (int)(await server.Http.DeleteAsync("/api/v1/webhook-config")).StatusCode);
        Assert.False((await server.Http.GetFromJsonAsync<JsonObject>("/api/v1/webhook-config"))!["is_active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Redeliver_QueuesAFreshDelivery_AndBadConfigsAreRefused()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await ServerAsync();
        await PutConfigAsync(server.Http, receiver.Url("again"));
        var id = await server.SubmitAsync(Copy());
        await server.WaitAsync(id);
        await receiver.WaitForAsync("again", 1);

        var redeliver = await server.Http.PostAsync($"/api/v1/commands/{id}/webhook-deliveries/redeliver", null);
        Assert.Equal(200, (int)redeliver.StatusCode);
        var hooks = await receiver.WaitForAsync("again", 2);
        Assert.NotEqual(hooks[0].Headers["webhook-id"], hooks[1].Headers["webhook-id"]);
        Assert.Equal(id, JsonNode.Parse(hooks[1].Body)!["data"]!["command_id"]!.GetValue<string>());

        using var other = await server.CreateAccountClientAsync();
        Assert.Equal(404, (int)(await other.PostAsync($"/api/v1/commands/{id}/webhook-deliveries/redeliver", null)).StatusCode);
        Assert.Equal(404, (int)(await other.GetAsync($"/api/v1/commands/{id}/webhook-deliveries")).StatusCode);
        Assert.False((await other.GetFromJsonAsync<JsonObject>("/api/v1/webhook-config"))!["configured"]!.GetValue<bool>());

        foreach (var bad in new object[] { new { url = "ftp://x.example/hook" }, new { url = "not a url" }, new { url = receiver.Url("x"), secret = "short" } })
        {
            Assert.Equal(422, (int)(await server.Http.PutAsJsonAsync("/api/v1/webhook-config", bad)).StatusCode);
        }
        await using var strict = await RenditionTestServer.StartAsync(allowPrivateUrls: false, workers: 1);
        Assert.Equal(422, (int)(await strict.Http.PutAsJsonAsync("/api/v1/webhook-config", new { url = receiver.Url("x") })).StatusCode);
    }
}
