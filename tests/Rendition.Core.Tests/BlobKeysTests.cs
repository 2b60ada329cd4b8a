using Rendition.Core.Storage;

namespace Rendition.Core.Tests;

public sealed class BlobKeysTests
{
    private static readonly Guid Id = Guid.Parse("2b9c1c4e-0000-4000-8000-000000000001");

    [Fact]
    public void AFileGetsAFolderOfItsOwn_NamedByItsId()
    {
        Assert.Equal("2b9c1c4e000040008000000000000001/out.mp4", BlobKeys.ForFile(Id, "out.mp4"));
        Assert.NotEqual(BlobKeys.ForFile(Id, "a.mp4").Split('/')[0], BlobKeys.ForFile(Guid.NewGuid(), "a.mp4").Split('/')[0]);
    }

    [Fact]
    public void APlaylistsFiles_ShareOneFolder_ThatSplitsBackIntoFolderAndName()
    {
        var folder = BlobKeys.PlaylistFolder(Id, "out_playlist_hls");
        var key = BlobKeys.InFolder(folder, "seg_001.ts");

        Assert.True(BlobKeys.TrySplit(key, out var splitFolder, out var name));
        Assert.Equal((folder, "seg_001.ts"), (splitFolder, name));
        Assert.Equal("pl-2b9c1c4e000040008000000000000001-out_playlist_hls", folder);
    }

    [Theory]
    [InlineData("noslash")]
    [InlineData("/leading")]
    public void AKeyWithoutAFolder_DoesNotSplit(string key) => Assert.False(BlobKeys.TrySplit(key, out _, out _));

    [Fact]
    public void TheFolderRoute_LivesUnderTheFileRoute() =>
        Assert.StartsWith(StorageRoutes.Files, StorageRoutes.Folders, StringComparison.Ordinal);
}
