using System.Net;

namespace Rendition.Client.Tests;

/// <summary>The files API through the SDK: upload, store from URL, metadata, list, delete, bulk delete, and stored files as inputs.</summary>
[Collection("client")]
public sealed class FileTests(ClientFixture fx)
{
    [Fact]
    public async Task UploadFileAsync_StoresTheStream_WhichThenServesAsACommandInput()
    {
        var client = fx.NewClient();
        await using var source = File.OpenRead(fx.TinyPath);

        var fileId = await client.UploadFileAsync(source, "holiday.mp4");

        // The caller's stream is theirs to close.
        Assert.True(source.CanRead);
        var stored = await client.WaitForFileAsync(fileId, TimeSpan.FromSeconds(30));
        Assert.Equal("STORED", stored.Status);
        Assert.Equal("UPLOAD", stored.RendiStoreType);
        Assert.Equal((64, 48), (stored.Width, stored.Height));
        Assert.Equal(new FileInfo(fx.TinyPath).Length / 1048576.0, stored.SizeMbytes!.Value, 6);

        var id = await client.RunAsync(new RunCommandRequest
        {
            InputFiles = { ["in_video"] = stored.StorageUrl! },
            OutputFiles = { ["out_frame"] = "frame.png" },
            FfmpegCommand = "-i {{in_video}} -frames:v 1 {{out_frame}}",
        });
        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        Assert.True(done.Status == CommandStatuses.Success, done.ErrorMessage);
        Assert.Equal((64, 48), (done.OutputFiles["out_frame"].Width, done.OutputFiles["out_frame"].Height));
    }

    [Fact]
    public async Task UploadFileAsync_FromAPath_UsesTheFilesName()
    {
        var client = fx.NewClient();
        var fileId = await client.UploadFileAsync(fx.TinyPath);
        var stored = await client.WaitForFileAsync(fileId, TimeSpan.FromSeconds(30));
        Assert.Equal("tiny.mp4", stored.Filename);
        Assert.Equal("mp4", stored.FileFormat);
    }

    [Fact]
    public async Task StoreFileAsync_FetchesTheUrlInTheBackground()
    {
        var client = fx.NewClient();
        var url = fx.Inputs.Url("tiny.mp4");

        var fileId = await client.StoreFileAsync(url);
        var stored = await client.WaitForFileAsync(fileId, TimeSpan.FromSeconds(30));

        Assert.Equal("STORED", stored.Status);
        Assert.Equal("STORED_FILE", stored.RendiStoreType);
        Assert.Equal(url, stored.OriginalFileUrl);
        Assert.Equal(64, stored.Width);
        Assert.False(string.IsNullOrEmpty(stored.CreatedAt));
    }

    [Fact]
    public async Task StoreFileAsync_OfAMissingUrl_EndsFailed()
    {
        var client = fx.NewClient();
        var fileId = await client.StoreFileAsync(fx.Inputs.Url("nothing-here.mp4"));
        var stored = await client.WaitForFileAsync(fileId, TimeSpan.FromSeconds(30));
        Assert.Equal("FAILED", stored.Status);
        Assert.False(string.IsNullOrEmpty(stored.ErrorStatus));
    }

    [Fact]
    public async Task ListGetAndDelete_ShowTheAccountsFiles_AndDeletionKeepsTheRecord()
    {
        var client = await fx.NewAccountClientAsync();
        var first = await client.UploadFileAsync(fx.TinyPath);
        var second = await client.UploadFileAsync(fx.TinyPath);

        var list = await client.ListFilesAsync(limit: 10);
        Assert.Equal([second, first], list.Files.Select(f => f.FileId));
        Assert.Equal(10, list.Limit);
        Assert.Equal([first], (await client.ListFilesAsync(limit: 1, offset: 1)).Files.Select(f => f.FileId));

        var deleted = await client.DeleteFileAsync(first);
        Assert.True(deleted.Deleted);
        Assert.Equal(first, deleted.FileId);
        Assert.True((await client.GetFileAsync(first)).IsDeleted);
        Assert.False((await client.GetFileAsync(second)).IsDeleted);
    }

    [Fact]
    public async Task BulkDeleteFilesAsync_DeletesOnlyTheCallersFiles()
    {
        var client = await fx.NewAccountClientAsync();
        var mine = await client.UploadFileAsync(fx.TinyPath);
        var other = await fx.NewClient().UploadFileAsync(fx.TinyPath);

        var deleted = await client.BulkDeleteFilesAsync([mine, other]);

        Assert.Equal([mine], deleted);
        Assert.True((await client.GetFileAsync(mine)).IsDeleted);
        Assert.False((await fx.NewClient().GetFileAsync(other)).IsDeleted);
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => client.GetFileAsync(other));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }
}
