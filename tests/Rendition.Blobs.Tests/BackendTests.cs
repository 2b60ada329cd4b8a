using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rendition.Blobs.Local;
using Rendition.Blobs.S3;
using Rendition.Core;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Server.Endpoints;

namespace Rendition.Blobs.Tests;

/// <summary>The blob contract on local disk, its URLs served by the server's real <c>/storage</c> endpoint.</summary>
public sealed class LocalBlobStoreTests : BlobStoreContract
{
    private readonly string _root = Directory.CreateTempSubdirectory("rendition-local-blobs-").FullName;
    private WebApplication? _app;

    protected override string SignatureParameter => "sig";

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var port = S3TestServer.FreePort();
        var publicUrl = $"http://127.0.0.1:{port}";
        var signer = new UrlSigner(RandomKey());
        var store = new LocalBlobStore(Path.Combine(_root, "blobs"), publicUrl, signer, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(publicUrl);
        builder.Logging.ClearProviders();
        // What the storage endpoints need, as the server registers it.
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IBlobStore>(store);
        builder.Services.AddSingleton(new PrefixUrls(signer, new RenditionOptions { PublicUrl = publicUrl }, TimeProvider.System));
        builder.Services.AddSingleton(new DependencyHealth(TimeProvider.System));
        _app = builder.Build();
        _app.MapStorage();
        await _app.StartAsync();
        return store;
    }

    protected override Task<IBlobStore> CreateForeignStoreAsync() =>
        Task.FromResult<IBlobStore>(new LocalBlobStore(Path.Combine(_root, "foreign"), "http://127.0.0.1:9", new UrlSigner(RandomKey()), TimeProvider.System));

    protected override Task<IBlobStore> CreateUnwritableStoreAsync()
    {
        var root = Path.Combine(_root, "broken");
        var store = new LocalBlobStore(root, "http://127.0.0.1:9", new UrlSigner(RandomKey()), TimeProvider.System);
        // A regular file where the directory was: unwritable even for root, which ignores permission bits.
        Directory.Delete(root);
        File.WriteAllText(root, "not a directory");
        return Task.FromResult<IBlobStore>(store);
    }

    [Fact]
    public async Task CheckWritable_LeavesNoProbeFileBehind()
    {
        await Store.CheckWritableAsync(CancellationToken.None);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "blobs")));
    }

    private static byte[] RandomKey() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public override async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
        await base.DisposeAsync();
    }
}

/// <summary>The blob contract on the S3-compatible server that <c>make test</c> starts.</summary>
public sealed class S3BlobStoreTests : BlobStoreContract
{
    protected override string SignatureParameter => "X-Amz-Signature";

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var store = new S3BlobStore(S3TestServer.Options("blob-contract"), TimeProvider.System);
        await store.EnsureBucketAsync(CancellationToken.None);
        return store;
    }

    protected override Task<IBlobStore> CreateForeignStoreAsync() =>
        Task.FromResult<IBlobStore>(new S3BlobStore(S3TestServer.Options("another-bucket"), TimeProvider.System));

    // A bucket nobody created.
    protected override Task<IBlobStore> CreateUnwritableStoreAsync() =>
        Task.FromResult<IBlobStore>(new S3BlobStore(S3TestServer.Options($"missing-{Guid.NewGuid():N}"[..40]), TimeProvider.System));
}

/// <summary>Reaching the test S3 server that scripts/test-s3.sh starts (s3rver; its built-in key pair).</summary>
public static class S3TestServer
{
    public const string EndpointVariable = "RENDITION_TEST_S3_ENDPOINT";

    /// <summary>The server's URL; a missing one fails the test (never skips it), saying how to provide it.</summary>
    public static Uri Endpoint => Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } url
        ? new Uri(url)
        : throw new InvalidOperationException(
            $"{EndpointVariable} is not set: the S3 tests need the test S3 server. Run `make test`, or wrap the command in scripts/test-s3.sh.");

    public static S3Options Options(string bucket) => new()
    {
        Bucket = bucket,
        Endpoint = Endpoint,
        Region = "us-east-1",
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
        ForcePathStyle = true,
    };

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
