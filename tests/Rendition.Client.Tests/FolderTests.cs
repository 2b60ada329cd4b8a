using System.IO.Compression;

namespace Rendition.Client.Tests;

/// <summary>OUTPUT_FOLDER through the SDK: submitted, echoed and listed without breaking the client's JSON.</summary>
[Collection("client")]
public sealed class FolderTests(ClientFixture fx)
{
    [Fact]
    public async Task OutputFolder_RoundTripsThroughTheSdk()
    {
        var client = await fx.NewAccountClientAsync();
        var id = await client.RunAsync(new RunCommandRequest
        {
            OutputFiles = OutputFileNames.Folder(),
            FfmpegCommand = $"-f lavfi -i {ClientFixture.TinySource} -vf fps=3 still_%02d.png",
        });
        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(CommandStatuses.Success, done.Status);
        Assert.True(done.OriginalRequest!.OutputFiles.IsOutputFolder);
        Assert.Empty(done.OriginalRequest.OutputFiles);

        var zip = done.OutputFiles[OutputFileNames.OutputFolder];
        Assert.Equal($"{id}.zip", zip.Filename);
        Assert.Equal(3, zip.FileCount);
        Assert.True(zip.SizeCompressedMbytes > 0);
        Assert.Equal(["out_1", "out_2", "out_3"], done.OutputFiles.Keys.Where(k => k != OutputFileNames.OutputFolder).Order());

        using var bytes = new MemoryStream();
        await client.DownloadAsync(zip.StorageUrl!, bytes);
        bytes.Position = 0;
        using var archive = new ZipArchive(bytes);
        Assert.Equal(["still_01.png", "still_02.png", "still_03.png"], archive.Entries.Select(e => e.FullName));

        // A listing that holds a folder command still reads.
        var listed = Assert.Single((await client.ListAsync()).Commands);
        Assert.True(listed.OriginalRequest!.OutputFiles.IsOutputFolder);
    }
}
