using Rendition.Blobs.S3;
using Rendition.Core;
using Rendition.Testing;

namespace Rendition.Blobs.Tests;

/// <summary>An S3 endpoint that cannot be reached is an outage of the blob store; a missing key or a missing local file is not.</summary>
public sealed class S3OutageTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("rendition-s3-outage-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task EveryCallToAnUnreachableEndpoint_IsABlobStoreOutage()
    {
        var options = TestS3.Options("down");
        using var store = new S3BlobStore(new Core.S3Options
        {
            Bucket = options.Bucket,
            Endpoint = new Uri($"http://127.0.0.1:{LoopbackPort.Free()}"),
            Region = options.Region,
            AccessKey = options.AccessKey,
            SecretKey = options.SecretKey,
            ForcePathStyle = true,
        }, TimeProvider.System);
        var local = Path.Combine(_scratch, "a.bin");
        await File.WriteAllBytesAsync(local, new byte[1000]);

        foreach (var call in new Func<Task>[]
        {
            () => store.PutFileAsync("k/a.bin", local, CancellationToken.None),
            () => store.CopyToFileAsync("k/a.bin", Path.Combine(_scratch, "b.bin"), CancellationToken.None),
            () => store.DeleteAsync("k/a.bin", CancellationToken.None),
        })
        {
            var e = await Assert.ThrowsAsync<DependencyUnavailableException>(call);
            Assert.Equal(Dependencies.BlobStore, e.Outage.Dependency);
            Assert.Contains("S3 cannot be reached", e.Outage.Reason, StringComparison.Ordinal);
        }
        Assert.True(File.Exists(local), "a file the store could not take stays with the caller");
    }

    [Fact]
    public async Task AMissingKeyOrLocalFile_IsNotAnOutage()
    {
        using var store = new S3BlobStore(TestS3.Options("outage-contract"), TimeProvider.System);
        await store.EnsureBucketAsync(CancellationToken.None);
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.CopyToFileAsync($"missing/{Guid.NewGuid():N}", Path.Combine(_scratch, "x"), CancellationToken.None));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => store.PutFileAsync("k/x", Path.Combine(_scratch, "not-there.bin"), CancellationToken.None));
        Assert.IsNotType<DependencyUnavailableException>(e);
        Assert.Null(S3BlobStore.OutageReason(e, CancellationToken.None));
    }
}
