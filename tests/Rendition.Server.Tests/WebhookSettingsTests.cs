namespace Rendition.Server.Tests;

/// <summary>The settings that bound webhook delivery: slots, the per-receiver share, the receiver timeout.</summary>
public sealed class WebhookSettingsTests
{
    private static Core.RenditionOptions Load(params (string Key, string Value)[] values) => StoreSettingsTests.Load(values);

    [Fact]
    public void Defaults_Are32Slots_4PerUrl_And15SecondTimeout()
    {
        var options = Load();
        Assert.Equal((32, 4, 15), (options.WebhookConcurrency, options.WebhookConcurrencyPerUrl, options.WebhookTimeoutSeconds));
    }

    [Fact]
    public void PerUrlShare_DefaultsToAtMostTheSlots_AndCannotExceedThem()
    {
        var small = Load(("RENDITION_WEBHOOK_CONCURRENCY", "2"));
        Assert.Equal((2, 2), (small.WebhookConcurrency, small.WebhookConcurrencyPerUrl));
        var e = Assert.Throws<SettingsException>(() => Load(("RENDITION_WEBHOOK_CONCURRENCY", "2"), ("RENDITION_WEBHOOK_CONCURRENCY_PER_URL", "3")));
        Assert.Contains("RENDITION_WEBHOOK_CONCURRENCY_PER_URL", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RENDITION_WEBHOOK_CONCURRENCY", "0")]
    [InlineData("RENDITION_WEBHOOK_CONCURRENCY_PER_URL", "0")]
    [InlineData("RENDITION_WEBHOOK_TIMEOUT_SECONDS", "0")]
    [InlineData("RENDITION_WEBHOOK_TIMEOUT_SECONDS", "301")]
    [InlineData("RENDITION_WEBHOOK_TIMEOUT_SECONDS", "soon")]
    public void BadValues_StopTheStart_NamingTheSetting(string name, string value) =>
        Assert.Contains(name, Assert.Throws<SettingsException>(() => Load((name, value))).Message, StringComparison.Ordinal);
}
