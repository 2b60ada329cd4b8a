using System.IO.Compression;
using System.Text;

namespace Rendition.Execution.Tests;

/// <summary>input_compressed_folder: the archive checks, on names and attributes alone and on real zips.</summary>
public sealed class InputArchiveTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rendition-archive-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("../evil.txt", "zip-slip")]
    [InlineData("a/../../evil.txt", "zip-slip")]
    [InlineData("/etc/cron.d/x", "absolute path")]
    [InlineData("C:/Windows/x.dll", "drive letter")]
    [InlineData("..\\evil.txt", "backslash")]
    [InlineData("a//b.txt", "empty")]
    [InlineData("./a.txt", "'.'")]
    [InlineData("a\u0001.txt", "control character")]
    public void NameProblem_RefusesNamesThatEscape(string name, string expected)
    {
        var problem = InputArchive.NameProblem(name);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void NameProblem_RefusesNamesLongerThanTheFileSystemTakes()
    {
        Assert.Contains("longer than 255 bytes", InputArchive.NameProblem(new string('a', 300) + ".mp4"), StringComparison.Ordinal);
        // 130 characters, 260 bytes in UTF-8: the file system counts bytes.
        Assert.Contains("longer than 255 bytes", InputArchive.NameProblem("dir/" + new string('é', 130)), StringComparison.Ordinal);
        Assert.Null(InputArchive.NameProblem(new string('a', 251) + ".mp4"));
    }

    [Theory]
    [InlineData("clip.mp4")]
    [InlineData("folder/clip.mp4")]
    [InlineData("folder/")]
    public void NameProblem_AcceptsRelativeNames(string name) => Assert.Null(InputArchive.NameProblem(name));

    private static InputArchive.ArchiveEntryInfo File(string name, long length = 10, int mode = 0x81A4) => new(name, mode << 16, length);

    [Fact]
    public void Plan_RefusesSymlinksAndSpecialFiles()
    {
        var link = Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("a.mp4"), File("passwd", mode: 0xA1FF)], 100, 1 << 20));
        Assert.Contains("symbolic link", link.Message, StringComparison.Ordinal);
        var fifo = Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("pipe", mode: 0x11A4)], 100, 1 << 20));
        Assert.Contains("special file", fifo.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RefusesTooManyEntries_AndDeclaredSizeOverTheCap()
    {
        var many = Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("a"), File("b"), File("c")], 2, 1 << 20));
        Assert.Contains("3 entries, more than the 2 allowed", many.Message, StringComparison.Ordinal);
        var big = Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("a", 1 << 20), File("b", 1 << 20)], 10, 1 << 20));
        Assert.Contains("more than 1 MB", big.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_UnpacksOneZippedFolderFlat_SkipsMacMetadata_AndRefusesNesting()
    {
        var plan = InputArchive.Plan([File("clips/", mode: 0x41ED), File("clips/a.mp4"), File("clips/b.mp4"), File("__MACOSX/clips/._a.mp4")], 10, 1 << 20);
        Assert.Equal(["a.mp4", "b.mp4"], plan.Select(p => p.Name));
        Assert.Equal([1, 2], plan.Select(p => p.Index));

        var nested = Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("a.mp4"), File("more/b.mp4")], 10, 1 << 20));
        Assert.Contains("nested folder", nested.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RefusesUnusableNamesDuplicatesAndEmptyArchives()
    {
        Assert.Contains("standard input", Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("-")], 10, 1 << 20)).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("a.mp4"), File("a.mp4")], 10, 1 << 20)).Message, StringComparison.Ordinal);
        Assert.Contains("no files", Assert.Throws<InputArchiveException>(() => InputArchive.Plan([File("d/", mode: 0x41ED)], 10, 1 << 20)).Message, StringComparison.Ordinal);
    }

    private string Zip(string name, Action<ZipArchive> fill)
    {
        var path = Path.Combine(_dir.FullName, name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            fill(zip);
        }
        return path;
    }

    private static void Add(ZipArchive zip, string name, byte[] content, int? unixMode = null)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        if (unixMode is { } mode)
        {
            entry.ExternalAttributes = mode << 16;
        }
        using var stream = entry.Open();
        stream.Write(content);
    }

    [Fact]
    public async Task Extract_WritesTheFiles()
    {
        var zip = Zip("ok.zip", z =>
        {
            Add(z, "a.txt", Encoding.UTF8.GetBytes("alpha"));
            Add(z, "b.txt", Encoding.UTF8.GetBytes("beta"));
        });
        var dest = _dir.CreateSubdirectory("ok").FullName;
        var names = await InputArchive.ExtractAsync(zip, dest, 10, 1 << 20, CancellationToken.None);
        Assert.Equal(["a.txt", "b.txt"], names);
        Assert.Equal("beta", await System.IO.File.ReadAllTextAsync(Path.Combine(dest, "b.txt")));
    }

    [Fact]
    public async Task Extract_RefusesZipSlipWithoutWritingOutside()
    {
        var zip = Zip("slip.zip", z => Add(z, "../slipped.txt", Encoding.UTF8.GetBytes("x")));
        var dest = _dir.CreateSubdirectory("slip").FullName;
        var e = await Assert.ThrowsAsync<InputArchiveException>(() => InputArchive.ExtractAsync(zip, dest, 10, 1 << 20, CancellationToken.None));
        Assert.Contains("zip-slip", e.Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(Path.Combine(_dir.FullName, "slipped.txt")));
    }

    [Fact]
    public async Task Extract_RefusesASymlinkEntry()
    {
        var zip = Zip("link.zip", z => Add(z, "passwd", Encoding.UTF8.GetBytes("/etc/passwd"), unixMode: 0xA1FF));
        var e = await Assert.ThrowsAsync<InputArchiveException>(() => InputArchive.ExtractAsync(zip, _dir.CreateSubdirectory("link").FullName, 10, 1 << 20, CancellationToken.None));
        Assert.Contains("symbolic link", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extract_RefusesAnHonestBomb_AndALyingHeaderNeverWritesPastTheCap()
    {
        // 8 MB of zeros deflates to a few KB.
        var zip = Zip("bomb.zip", z => Add(z, "zeros.bin", new byte[8 << 20]));
        var e = await Assert.ThrowsAsync<InputArchiveException>(() => InputArchive.ExtractAsync(zip, _dir.CreateSubdirectory("bomb").FullName, 10, 1 << 20, CancellationToken.None));
        Assert.Contains("more than 1 MB", e.Message, StringComparison.Ordinal);

        // The same bomb with headers claiming 10 bytes: whatever the zip reader then yields, at most the cap lands on disk.
        var bytes = await System.IO.File.ReadAllBytesAsync(zip);
        LieAboutSizes(bytes, 10);
        var liar = Path.Combine(_dir.FullName, "liar.zip");
        await System.IO.File.WriteAllBytesAsync(liar, bytes);
        var dest = _dir.CreateSubdirectory("liar").FullName;
        try
        {
            await InputArchive.ExtractAsync(liar, dest, 10, 1 << 20, CancellationToken.None);
        }
        catch (InputArchiveException refused)
        {
            Assert.True(refused.Message.Contains("more than 1 MB", StringComparison.Ordinal) || refused.Message.Contains("corrupt", StringComparison.Ordinal), refused.Message);
        }
        Assert.True(new FileInfo(Path.Combine(dest, "zeros.bin")) is not { Exists: true, Length: > (1 << 20) });
    }

    [Fact]
    public async Task Extract_RefusesAnEntryCountOverTheCap_FromTheEndRecord()
    {
        var zip = Zip("many.zip", z =>
        {
            for (var i = 0; i < 5; i++)
            {
                Add(z, $"f{i}.txt", [1]);
            }
        });
        Assert.Equal(5, InputArchive.DeclaredEntryCount(zip));
        var e = await Assert.ThrowsAsync<InputArchiveException>(() => InputArchive.ExtractAsync(zip, _dir.CreateSubdirectory("many").FullName, 4, 1 << 20, CancellationToken.None));
        Assert.Contains("5 entries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extract_RefusesSomethingThatIsNotAZip()
    {
        var path = Path.Combine(_dir.FullName, "not.zip");
        await System.IO.File.WriteAllTextAsync(path, "hello, not a zip");
        var e = await Assert.ThrowsAsync<InputArchiveException>(() => InputArchive.ExtractAsync(path, _dir.CreateSubdirectory("not").FullName, 10, 1 << 20, CancellationToken.None));
        Assert.Contains("not a valid zip archive", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Rewrites every local and central header's uncompressed size (a liar's zip).</summary>
    private static void LieAboutSizes(byte[] zip, int size)
    {
        for (var i = 0; i + 46 < zip.Length; i++)
        {
            if (zip[i] == 0x50 && zip[i + 1] == 0x4B && zip[i + 2] == 0x03 && zip[i + 3] == 0x04)
            {
                BitConverter.TryWriteBytes(zip.AsSpan(i + 22, 4), size);
            }
            else if (zip[i] == 0x50 && zip[i + 1] == 0x4B && zip[i + 2] == 0x01 && zip[i + 3] == 0x02)
            {
                BitConverter.TryWriteBytes(zip.AsSpan(i + 24, 4), size);
            }
        }
    }
}
