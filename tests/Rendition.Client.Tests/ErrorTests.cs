using System.Net;

namespace Rendition.Client.Tests;

/// <summary>Every non-2xx answer becomes a <see cref="RenditionApiException"/> carrying the server's code, message and details.</summary>
[Collection("client")]
public sealed class ErrorTests(ClientFixture fx)
{
    [Fact]
    public async Task UnknownCommand_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => fx.NewClient().GetAsync(Guid.NewGuid().ToString()));
        Assert.Equal((HttpStatusCode.NotFound, "NOT_FOUND"), (e.StatusCode, e.Error));
        Assert.Contains("was not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForbiddenOption_IsRefusedBeforeRunning()
    {
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => fx.NewClient().RunAsync(new RunCommandRequest
        {
            InputFiles = { ["in_video"] = fx.Inputs.Url("tiny.mp4") },
            OutputFiles = { ["out_video"] = "x.mp4" },
            FfmpegCommand = "-f concat -i {{in_video}} -c copy {{out_video}}",
        }));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "FORBIDDEN_OPTION"), (e.StatusCode, e.Error));
        Assert.Contains("concat", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task InvalidSubmission_NamesTheFieldInDetails()
    {
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => fx.NewClient().RunAsync(new RunCommandRequest
        {
            OutputFiles = { ["out_video"] = "x.mp4", ["out_unused"] = "y.mp4" },
            FfmpegCommand = $"-f lavfi -i {ClientFixture.TinySource} {{{{out_video}}}}",
        }));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR"), (e.StatusCode, e.Error));
        Assert.Contains(e.Details, d => d.Field.Contains("out_unused", StringComparison.Ordinal) || d.Message.Contains("out_unused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongKey_IsUnauthorized()
    {
        var client = new RenditionClient(new HttpClient(), new RenditionClientOptions { BaseAddress = new Uri(fx.Server.BaseUrl), ApiKey = "ffsk_wrong" });
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => client.ListAsync());
        Assert.Equal((HttpStatusCode.Unauthorized, "UNAUTHORIZED"), (e.StatusCode, e.Error));
    }

    [Fact]
    public async Task BadListFilter_IsAValidationError()
    {
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => fx.NewClient().ListAsync(status: "DONE"));
        Assert.Equal("VALIDATION_ERROR", e.Error);
        Assert.Equal("status", Assert.Single(e.Details).Field);
    }
}
