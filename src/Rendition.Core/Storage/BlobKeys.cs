namespace Rendition.Core.Storage;

/// <summary>
/// The one home of blob key shapes. A stored file gets a folder of its own (its id), so names never collide; the files of
/// a streaming output share one folder, so one signature (<see cref="Security.PrefixUrls"/>) covers the manifest and
/// everything it refers to by relative name.
/// </summary>
public static class BlobKeys
{
    /// <summary>The key of a stored file: <c>{file id}/{name}</c>.</summary>
    public static string ForFile(Guid fileId, string fileName) => InFolder(fileId.ToString("N"), fileName);

    /// <summary>The folder a command's streaming output (manifest, segments, variant playlists) is stored under.</summary>
    public static string PlaylistFolder(Guid commandId, string alias) => $"pl-{commandId:N}-{alias}";

    /// <summary>The key of a file in a folder.</summary>
    public static string InFolder(string folder, string fileName) => $"{folder}/{fileName}";

    /// <summary>The folder and file name a key is made of; false for a key without a folder.</summary>
    public static bool TrySplit(string key, out string folder, out string fileName)
    {
        var slash = key.LastIndexOf('/');
        if (slash <= 0)
        {
            folder = fileName = "";
            return false;
        }
        folder = key[..slash];
        fileName = key[(slash + 1)..];
        return true;
    }
}
