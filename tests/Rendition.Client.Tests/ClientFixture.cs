using Rendition.Client;
using Rendition.Testing;

namespace Rendition.Client.Tests;

/// <summary>One real server (real ffmpeg, loopback), an input server with a tiny generated clip, and a webhook receiver.</summary>
public sealed class ClientFixture : IAsyncLifetime
{
    /// <summary>A one-second 64x48 clip made from the lavfi test source: every job on it takes milliseconds.</summary>
    public const string TinySource = "testsrc2=s=64x48:d=1";

    public RenditionTestServer Server { get; private set; } = null!;

    public InputServer Inputs { get; private set; } = null!;

    public WebhookReceiver Receiver { get; private set; } = null!;

    public string MediaDir { get; } = Directory.CreateTempSubdirectory("rendition-client-media-").FullName;

    public string TinyPath => Path.Combine(MediaDir, "tiny.mp4");

    public async Task InitializeAsync()
    {
        await TestMedia.GenerateAsync(TinyPath, "-f", "lavfi", "-i", TinySource, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        Inputs = await InputServer.StartAsync(MediaDir);
        Receiver = await WebhookReceiver.StartAsync();
        Server = await RenditionTestServer.StartAsync();
    }

    /// <summary>A client of the bootstrap account, configured by base address and key as a user would.</summary>
    public RenditionClient NewClient(HttpMessageHandler? handler = null) =>
        new(handler is null ? new HttpClient() : new HttpClient(handler),
            new RenditionClientOptions { BaseAddress = new Uri(Server.BaseUrl), ApiKey = RenditionTestServer.ApiKey });

    /// <summary>
    /// A client of a brand-new account, so listings and webhook configuration start empty; the key travels in the HttpClient's
    /// default headers, the other supported way of configuring it.
    /// </summary>
    public async Task<RenditionClient> NewAccountClientAsync() =>
        new(await Server.CreateAccountClientAsync(), new RenditionClientOptions());

    /// <summary>A single command that makes an MP4 from the test source: needs no inputs.</summary>
    public static RunCommandRequest TinyCommand(string outputName = "clip.mp4", string extra = "") => new()
    {
        OutputFiles = { ["out_video"] = outputName },
        // Extra options go last so they override the defaults (e.g. a bogus encoder to make the job fail).
        FfmpegCommand = $"-f lavfi -i {TinySource} -c:v libx264 -preset ultrafast -pix_fmt yuv420p {extra} {{{{out_video}}}}",
    };

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Receiver.DisposeAsync();
        await Inputs.DisposeAsync();
        Directory.Delete(MediaDir, recursive: true);
    }
}

[CollectionDefinition("client")]
public sealed class ClientCollection : ICollectionFixture<ClientFixture>;
