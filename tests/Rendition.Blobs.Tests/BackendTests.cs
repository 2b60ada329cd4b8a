using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rendition.Blobs.Local;
using Rendition.Blobs.S3;
using Rendition.Core;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Server.Files;
using Rendition.Testing;

namespace Rendition.Blobs.Tests;

/// <summary>The blob contract on local disk, its URLs served by the server's real <c>/storage</c> endpoint.</summary>
public sealed class LocalBlobStoreTests : BlobStoreContract
{
    private readonly string _root = Directory.CreateTempSubdirectory("rendition-local-blobs-").FullName;
    private WebApplication? _app;

    protected override string SignatureParameter => "sig";

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var port = LoopbackPort.Free();
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
        var store = new S3BlobStore(TestS3.Options("blob-contract"), TimeProvider.System);
        await store.EnsureBucketAsync(CancellationToken.None);
        return store;
    }

    protected override Task<IBlobStore> CreateForeignStoreAsync() =>
        Task.FromResult<IBlobStore>(new S3BlobStore(TestS3.Options("another-bucket"), TimeProvider.System));

    // A bucket nobody created.
    protected override Task<IBlobStore> CreateUnwritableStoreAsync() =>
        Task.FromResult<IBlobStore>(new S3BlobStore(TestS3.Options($"missing-{Guid.NewGuid():N}"[..40]), TimeProvider.System));
}
