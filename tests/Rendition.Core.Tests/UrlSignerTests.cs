using Rendition.Core.Security;

namespace Rendition.Core.Tests;

public class UrlSignerTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] OtherKey = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();

    private const string Path = "/storage/2b9c1c4e/output.mp4";
    private static readonly DateTimeOffset Now = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly long Expires = new DateTimeOffset(2025, 1, 22, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    [Fact]
    public void Verify_AcceptsSignatureItCreated()
    {
        var signer = new UrlSigner(Key);

        var signature = signer.Sign(Path, Expires);

        Assert.True(signer.Verify(Path, Expires, signature, Now));
    }

    [Fact]
    public void Sign_IsDeterministicAndUrlSafe()
    {
        var signer = new UrlSigner(Key);

        var signature = signer.Sign(Path, Expires);

        Assert.Equal(signature, new UrlSigner((byte[])Key.Clone()).Sign(Path, Expires));
        Assert.Matches("^[A-Za-z0-9_-]{43}$", signature);
    }

    [Fact]
    public void Verify_RefusesTamperedPath()
    {
        var signer = new UrlSigner(Key);
        var signature = signer.Sign(Path, Expires);

        Assert.False(signer.Verify("/storage/2b9c1c4e/other.mp4", Expires, signature, Now));
    }

    [Fact]
    public void Verify_RefusesTamperedExpiry()
    {
        var signer = new UrlSigner(Key);
        var signature = signer.Sign(Path, Expires);

        Assert.False(signer.Verify(Path, Expires + 3600, signature, Now));
    }

    [Fact]
    public void Verify_RefusesTamperedSignature()
    {
        var signer = new UrlSigner(Key);
        var signature = signer.Sign(Path, Expires);
        var tampered = (signature[0] == 'A' ? "B" : "A") + signature[1..];

        Assert.False(signer.Verify(Path, Expires, tampered, Now));
        Assert.False(signer.Verify(Path, Expires, signature[..^1], Now));
        Assert.False(signer.Verify(Path, Expires, signature + "A", Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Verify_RefusesMissingSignature(string? signature) =>
        Assert.False(new UrlSigner(Key).Verify(Path, Expires, signature, Now));

    [Fact]
    public void Verify_RefusesSignatureFromAnotherKey()
    {
        var signature = new UrlSigner(OtherKey).Sign(Path, Expires);

        Assert.False(new UrlSigner(Key).Verify(Path, Expires, signature, Now));
    }

    [Fact]
    public void Verify_RefusesExpiredSignature()
    {
        var signer = new UrlSigner(Key);
        var signature = signer.Sign(Path, Expires);

        Assert.False(signer.Verify(Path, Expires, signature, DateTimeOffset.FromUnixTimeSeconds(Expires + 1)));
        Assert.False(signer.Verify(Path, Expires, signature, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Verify_AcceptsSignatureAtTheExpirySecond()
    {
        var signer = new UrlSigner(Key);
        var signature = signer.Sign(Path, Expires);

        Assert.True(signer.Verify(Path, Expires, signature, DateTimeOffset.FromUnixTimeSeconds(Expires)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    public void Constructor_ThrowsForKeyShorterThan32Bytes(int length) =>
        Assert.Throws<ArgumentException>(() => new UrlSigner(new byte[length]));

    [Fact]
    public void Constructor_ThrowsForNullKey() =>
        Assert.Throws<ArgumentNullException>(() => new UrlSigner(null!));

    [Fact]
    public void LoadOrCreateKey_CreatesKeyFileOnceAndReturnsSameKeyAfterwards()
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rendition-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = System.IO.Path.Combine(dir, "nested", "signing.key");

            var first = UrlSigner.LoadOrCreateKey(path);
            Assert.True(File.Exists(path));
            var writtenAt = File.GetLastWriteTimeUtc(path);
            var contents = File.ReadAllText(path);

            var second = UrlSigner.LoadOrCreateKey(path);

            Assert.Equal(32, first.Length);
            Assert.Equal(first, second);
            Assert.Equal(contents, File.ReadAllText(path));
            Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(path));
            Assert.Equal(Convert.ToHexStringLower(first), contents.Trim());
            Assert.False(File.Exists(path + ".tmp"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void LoadOrCreateKey_CreatesDifferentKeysForDifferentFiles()
    {
        var dir = Directory.CreateTempSubdirectory("rendition-tests-");
        try
        {
            var a = UrlSigner.LoadOrCreateKey(System.IO.Path.Combine(dir.FullName, "a.key"));
            var b = UrlSigner.LoadOrCreateKey(System.IO.Path.Combine(dir.FullName, "b.key"));

            Assert.NotEqual(a, b);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
