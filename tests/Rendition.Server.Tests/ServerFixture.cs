using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>One server, one input server and the generated media, shared by the integration tests of the "server" collection.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public RenditionTestServer Server { get; private set; } = null!;

    public InputServer Inputs { get; private set; } = null!;

    public string MediaDir { get; } = Directory.CreateTempSubdirectory("rendition-media-").FullName;

    public async Task InitializeAsync()
    {
        // 640x360 with audio, as the Rendi split example expects; tiny and short so the suite stays fast.
        await TestMedia.GenerateAsync(Path.Combine(MediaDir, "sample.mp4"),
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest");
        await TestMedia.GenerateAsync(Path.Combine(MediaDir, "small.mp4"),
            "-f", "lavfi", "-i", "testsrc2=s=160x120:r=15:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        Inputs = await InputServer.StartAsync(MediaDir);
        Server = await RenditionTestServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Inputs.DisposeAsync();
        Directory.Delete(MediaDir, recursive: true);
    }
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;
