namespace Rendition.Core.Media;

/// <summary>MIME types by file extension, for outputs and downloads.</summary>
public static class MediaTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mp4"] = "video/mp4",
        ["m4v"] = "video/mp4",
        ["mov"] = "video/quicktime",
        ["webm"] = "video/webm",
        ["mkv"] = "video/x-matroska",
        ["avi"] = "video/x-msvideo",
        ["flv"] = "video/x-flv",
        ["ts"] = "video/mp2t",
        ["mts"] = "video/mp2t",
        ["m2ts"] = "video/mp2t",
        ["mpg"] = "video/mpeg",
        ["mpeg"] = "video/mpeg",
        ["3gp"] = "video/3gpp",
        ["ogv"] = "video/ogg",
        ["wmv"] = "video/x-ms-wmv",
        ["mxf"] = "application/mxf",
        ["mp3"] = "audio/mpeg",
        ["m4a"] = "audio/mp4",
        ["aac"] = "audio/aac",
        ["wav"] = "audio/wav",
        ["flac"] = "audio/flac",
        ["ogg"] = "audio/ogg",
        ["oga"] = "audio/ogg",
        ["opus"] = "audio/opus",
        ["weba"] = "audio/webm",
        ["wma"] = "audio/x-ms-wma",
        ["aiff"] = "audio/aiff",
        ["ac3"] = "audio/ac3",
        ["png"] = "image/png",
        ["jpg"] = "image/jpeg",
        ["jpeg"] = "image/jpeg",
        ["gif"] = "image/gif",
        ["webp"] = "image/webp",
        ["bmp"] = "image/bmp",
        ["tif"] = "image/tiff",
        ["tiff"] = "image/tiff",
        ["avif"] = "image/avif",
        ["heic"] = "image/heic",
        ["ico"] = "image/x-icon",
        ["m3u8"] = "application/vnd.apple.mpegurl",
        ["mpd"] = "application/dash+xml",
        ["m4s"] = "video/iso.segment",
        ["srt"] = "application/x-subrip",
        ["vtt"] = "text/vtt",
        ["ass"] = "text/x-ssa",
        ["txt"] = "text/plain",
        ["json"] = "application/json",
        ["zip"] = "application/zip",
    };

    /// <summary>The file name's extension without the dot, lower case, or empty.</summary>
    public static string Extension(string fileName)
    {
        var ext = Path.GetExtension(fileName);
        return ext.Length > 1 ? ext[1..].ToLowerInvariant() : "";
    }

    /// <summary>The MIME type for a file name; <c>application/octet-stream</c> when unknown.</summary>
    public static string ForFileName(string fileName) =>
        ByExtension.TryGetValue(Extension(fileName), out var mime) ? mime : "application/octet-stream";

    /// <summary>True when the extension names a known media or text type.</summary>
    public static bool IsKnown(string fileName) => ByExtension.ContainsKey(Extension(fileName));
}
