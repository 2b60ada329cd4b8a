using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Rendition.Core.Media;
using Rendition.Core.Storage;

namespace Rendition.Blobs.Tests;

/// <summary>
/// What every <see cref="IBlobStore"/> must do, run once per backend (local disk, S3) by the subclasses: the rest of
/// the server relies on exactly these behaviours whichever store is configured.
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("rendition-blobs-").FullName;

    protected IBlobStore Store { get; private set; } = null!;

    /// <summary>Plain client for the download URLs: they must work without an API key.</summary>
    protected static HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The store under test, ready for use (HTTP server or bucket in place).</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>A store of the same kind elsewhere (other server, other bucket): its URLs are not ours.</summary>
    protected abstract Task<IBlobStore> CreateForeignStoreAsync();

    /// <summary>The query parameter that carries the URL's signature.</summary>
    protected abstract string SignatureParameter { get; }

    /// <summary>A store of the same kind that cannot take files (no directory, no bucket), as the readiness probe must notice.</summary>
    protected abstract Task<IBlobStore> CreateUnwritableStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        Directory.Delete(_scratch, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    // Over the S3 store's multipart threshold, and not a multiple of the part size, so the last part is short.
    [InlineData(20 * 1024 * 1024 + 12345)]
    public async Task PutThenCopy_ReturnsTheSameBytes(int size)
    {
        var (key, source, hash) = await NewBlobAsync(size, "out.mp4");
        await Store.PutFileAsync(key, source, CancellationToken.None);
        Assert.False(File.Exists(source), "the store takes ownership of the file it stores");

        var copy = Path.Combine(_scratch, "copy", "back.mp4");
        await Store.CopyToFileAsync(key, copy, CancellationToken.None);
        Assert.Equal(size, new FileInfo(copy).Length);
        Assert.Equal(hash, await HashAsync(copy));
    }

    [Fact]
    public async Task Put_ReplacesAnExistingBlob()
    {
        var (key, first, _) = await NewBlobAsync(500, "out.mp4");
        await Store.PutFileAsync(key, first, CancellationToken.None);
        var second = Path.Combine(_scratch, "second.mp4");
        await File.WriteAllBytesAsync(second, RandomNumberGenerator.GetBytes(700));
        var hash = await HashAsync(second);
        await Store.PutFileAsync(key, second, CancellationToken.None);

        var copy = Path.Combine(_scratch, "copy.mp4");
        await Store.CopyToFileAsync(key, copy, CancellationToken.None);
        Assert.Equal(hash, await HashAsync(copy));
    }

    [Fact]
    public async Task Delete_ThenCopyFails_AsAMissingFile()
    {
        var (key, source, _) = await NewBlobAsync(1000, "out.mp4");
        await Store.PutFileAsync(key, source, CancellationToken.None);
        await Store.DeleteAsync(key, CancellationToken.None);

        // InputFetcher reports an IOException here as "a stored file that no longer exists".
        await Assert.ThrowsAnyAsync<IOException>(() => Store.CopyToFileAsync(key, Path.Combine(_scratch, "gone.mp4"), CancellationToken.None));
        // Deleting again (a retried bulk delete) is not an error.
        await Store.DeleteAsync(key, CancellationToken.None);
    }

    [Fact]
    public async Task CheckWritable_Succeeds_AndLeavesTheStoreUsable()
    {
        await Store.CheckWritableAsync(CancellationToken.None);
        await Store.CheckWritableAsync(CancellationToken.None);
        var (key, source, hash) = await NewBlobAsync(100, "after-probe.mp4");
        await Store.PutFileAsync(key, source, CancellationToken.None);
        var copy = Path.Combine(_scratch, "after-probe-copy.mp4");
        await Store.CopyToFileAsync(key, copy, CancellationToken.None);
        Assert.Equal(hash, await HashAsync(copy));
    }

    [Fact]
    public async Task CheckWritable_Throws_WhenTheStoreCannotTakeFiles()
    {
        var broken = await CreateUnwritableStoreAsync();
        try
        {
            var e = await Assert.ThrowsAnyAsync<IOException>(() => broken.CheckWritableAsync(CancellationToken.None));
            Assert.Contains("cannot write", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            (broken as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public async Task DownloadUrl_ServesTheBytes_WithTypeNameAndRanges()
    {
        var (key, source, _) = await NewBlobAsync(64 * 1024, "clip.webm");
        var bytes = await File.ReadAllBytesAsync(source);
        await Store.PutFileAsync(key, source, CancellationToken.None);
        var url = Store.GetDownloadUrl(key, TimeSpan.FromMinutes(5), "My Clip.webm");

        using (var response = await Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(MediaTypes.ForFileName("clip.webm"), response.Content.Headers.ContentType?.MediaType);
            var disposition = response.Content.Headers.ContentDisposition;
            Assert.NotNull(disposition);
            Assert.Equal("My Clip.webm", disposition.FileNameStar);
        }

        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new RangeHeaderValue(1000, 1999);
        using (var response = await Http.SendAsync(ranged))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(bytes[1000..2000], await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(bytes.Length, response.Content.Headers.ContentRange?.Length);
        }
    }

    [Fact]
    public async Task DownloadUrl_ForTheDefaultWeek_Downloads()
    {
        var (key, source, hash) = await NewBlobAsync(100, "out.mp4");
        await Store.PutFileAsync(key, source, CancellationToken.None);
        // Seven days is the default RENDITION_URL_EXPIRY_SECONDS and S3's presign limit: it must still give a working link.
        var url = Store.GetDownloadUrl(key, TimeSpan.FromDays(7), "out.mp4");
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(await response.Content.ReadAsByteArrayAsync())));
    }

    [Fact]
    public async Task DownloadUrl_IsRefused_OnceExpired()
    {
        var (key, source, _) = await NewBlobAsync(100, "out.mp4");
        await Store.PutFileAsync(key, source, CancellationToken.None);
        var url = Store.GetDownloadUrl(key, TimeSpan.FromSeconds(1));
        Assert.True(Store.TryResolveOwnUrl(new Uri(url), out _), "a fresh URL is the store's own");

        // Expiry is checked to the second on both sides; past two seconds it has certainly passed.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(Store.TryResolveOwnUrl(new Uri(url), out _), "an expired URL no longer resolves");
    }

    [Fact]
    public async Task DownloadUrl_IsRefused_WhenTamperedWith()
    {
        var (key, source, _) = await NewBlobAsync(100, "out.mp4");
        await Store.PutFileAsync(key, source, CancellationToken.None);
        var (otherKey, otherSource, _) = await NewBlobAsync(100, "out.mp4");
        await Store.PutFileAsync(otherKey, otherSource, CancellationToken.None);
        var url = Store.GetDownloadUrl(key, TimeSpan.FromMinutes(5), "a.mp4");
        using (var genuine = await Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        }

        var query = url[(url.IndexOf('?', StringComparison.Ordinal) + 1)..];
        var signature = query.Split('&').Single(p => p.StartsWith(SignatureParameter + "=", StringComparison.Ordinal));
        var last = signature[^1];
        var tampered = new[]
        {
            // Another existing blob under the same signature.
            url.Replace(key.Split('/')[0], otherKey.Split('/')[0], StringComparison.Ordinal),
            // No signature at all.
            url[..url.IndexOf('?', StringComparison.Ordinal)],
            // One character of the signature changed.
            url.Replace(signature, signature[..^1] + (last == '0' ? '1' : '0'), StringComparison.Ordinal),
            // Another offered download name.
            url.Replace("a.mp4", "b.mp4", StringComparison.Ordinal),
        };
        foreach (var bad in tampered)
        {
            Assert.NotEqual(url, bad);
            using var response = await Http.GetAsync(bad);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{bad} answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task TryResolveOwnUrl_NamesTheKey_OfOwnUrlsOnly()
    {
        var key = $"{Guid.NewGuid():N}/out put+1.mp4";
        var own = new Uri(Store.GetDownloadUrl(key, TimeSpan.FromMinutes(5), "name.mp4"));
        Assert.True(Store.TryResolveOwnUrl(own, out var resolved));
        Assert.Equal(key, resolved);

        var foreign = await CreateForeignStoreAsync();
        try
        {
            Assert.False(Store.TryResolveOwnUrl(new Uri(foreign.GetDownloadUrl(key, TimeSpan.FromMinutes(5))), out _), "another store's URL");
        }
        finally
        {
            (foreign as IDisposable)?.Dispose();
        }
        Assert.False(Store.TryResolveOwnUrl(new Uri($"https://example.com/files/{key}"), out _), "an unrelated URL");
        // The store's own address without any signature is not a download URL.
        Assert.False(Store.TryResolveOwnUrl(new Uri(own.GetLeftPart(UriPartial.Path)), out _), "an unsigned URL");
    }

    private async Task<(string Key, string Path, string Sha256)> NewBlobAsync(int size, string name)
    {
        var key = $"{Guid.NewGuid():N}/{name}";
        var path = Path.Combine(_scratch, $"{Guid.NewGuid():N}-{name}");
        // Written in chunks so the 20 MB case does not need the whole file in memory either.
        await using (var file = File.Create(path))
        {
            var chunk = new byte[1 << 20];
            for (var left = size; left > 0; left -= chunk.Length)
            {
                RandomNumberGenerator.Fill(chunk);
                await file.WriteAsync(chunk.AsMemory(0, Math.Min(left, chunk.Length)));
            }
        }
        return (key, path, await HashAsync(path));
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(file));
    }
}
