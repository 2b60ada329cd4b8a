using System.Net;
using System.Text;
using System.Text.Json;

namespace Rendition.Client.Tests;

/// <summary>Webhook configuration, deliveries and signature checks, through the SDK and against a real delivered webhook.</summary>
[Collection("client")]
public sealed class WebhookTests(ClientFixture fx)
{
    [Fact]
    public async Task WebhookConfig_GetSetDelete_ShowsTheGeneratedSecretOnce()
    {
        var client = await fx.NewAccountClientAsync();
        Assert.False((await client.GetWebhookConfigAsync()).Configured);

        var set = await client.SetWebhookConfigAsync(new WebhookConfigRequest { Url = fx.Receiver.Url("config") });
        Assert.True(set.Success);
        Assert.Equal(fx.Receiver.Url("config"), set.Url);
        Assert.StartsWith("whsec_", set.Secret, StringComparison.Ordinal);

        var config = await client.GetWebhookConfigAsync();
        Assert.True(config.Configured);
        Assert.True(config.IsActive);
        Assert.Equal(fx.Receiver.Url("config"), config.Url);
        Assert.Equal(0, config.ConsecutiveFailures);

        var again = await client.SetWebhookConfigAsync(new WebhookConfigRequest { Url = fx.Receiver.Url("config2") });
        Assert.Null(again.Secret);

        await client.DeleteWebhookConfigAsync();
        var off = await client.GetWebhookConfigAsync();
        Assert.False(off.IsActive);
        Assert.Equal(fx.Receiver.Url("config2"), off.Url);
    }

    [Fact]
    public async Task SetWebhookConfigAsync_RefusesABadUrl_WithDetails()
    {
        var client = await fx.NewAccountClientAsync();
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => client.SetWebhookConfigAsync(new WebhookConfigRequest { Url = "ftp://nope", Secret = "short" }));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR"), (e.StatusCode, e.Error));
        Assert.Equal(["secret", "url"], e.Details.Select(d => d.Field).Order());
    }

    [Fact]
    public async Task ADeliveredWebhook_VerifiesWithBothSchemes_AndTamperingIsCaught()
    {
        var client = await fx.NewAccountClientAsync();
        var path = $"signed-{Guid.NewGuid():N}";
        var secret = (await client.SetWebhookConfigAsync(new WebhookConfigRequest { Url = fx.Receiver.Url(path) })).Secret!;

        var id = await client.RunAsync(ClientFixture.TinyCommand("hooked.mp4"));
        await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        var hook = (await fx.Receiver.WaitForAsync(path, 1))[0];

        Assert.True(WebhookSignature.Verify(hook.Body, hook.Headers["x-webhook-signature"], secret));
        Assert.True(WebhookSignature.VerifyStandard(hook.Body, hook.Headers["webhook-id"], hook.Headers["webhook-timestamp"], hook.Headers["webhook-signature"], secret));

        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(hook.Body).Replace("SUCCESS", "FAILED", StringComparison.Ordinal));
        Assert.NotEqual(hook.Body, tampered);
        Assert.False(WebhookSignature.Verify(tampered, hook.Headers["x-webhook-signature"], secret));
        Assert.False(WebhookSignature.VerifyStandard(tampered, hook.Headers["webhook-id"], hook.Headers["webhook-timestamp"], hook.Headers["webhook-signature"], secret));
        Assert.False(WebhookSignature.Verify(hook.Body, hook.Headers["x-webhook-signature"], secret + "x"));
        Assert.False(WebhookSignature.VerifyStandard(hook.Body, hook.Headers["webhook-id"] + "x", hook.Headers["webhook-timestamp"], hook.Headers["webhook-signature"], secret));

        var payload = JsonSerializer.Deserialize(hook.Body, RenditionJsonContext.Default.WebhookPayload)!;
        Assert.Equal(id, payload.Data.CommandId);
        Assert.Equal(CommandStatuses.Success, payload.Data.Status);
        Assert.Equal("hooked.mp4", payload.Data.OutputFiles["out_video"].Filename);
        Assert.InRange(payload.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task DeliveriesAndRedelivery_AreVisibleThroughTheSdk()
    {
        var client = await fx.NewAccountClientAsync();
        var path = $"redeliver-{Guid.NewGuid():N}";
        var request = ClientFixture.TinyCommand("again.mp4");
        request.WebhookUrl = fx.Receiver.Url(path);
        var id = await client.RunAsync(request);
        await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        await fx.Receiver.WaitForAsync(path, 1);

        var deliveryId = await client.RedeliverWebhookAsync(id);
        var hooks = await fx.Receiver.WaitForAsync(path, 2);
        Assert.Equal(2, hooks.Count);

        WebhookDeliveryList log;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            log = await client.GetWebhookDeliveriesAsync(id);
            await Task.Delay(50);
        }
        while (log.Deliveries.Any(d => d.Attempts.Count == 0) && DateTime.UtcNow < deadline);
        Assert.Equal(2, log.Deliveries.Count);
        Assert.Contains(log.Deliveries, d => d.DeliveryId == deliveryId);
        Assert.All(log.Deliveries, d => Assert.Equal(200, d.Attempts[0].HttpStatus));
        Assert.All(log.Deliveries, d => Assert.Equal(fx.Receiver.Url(path), d.Attempts[0].Url));
    }
}
