using System.Globalization;
using Rendition.Blobs.Local;
using Rendition.Core;
using Rendition.Core.Media;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Server.Docs;

namespace Rendition.Server.Files;

/// <summary>Signed, unauthenticated downloads of locally stored files, with Range support.</summary>
public static class StorageEndpoints
{
    /// <summary>Maps the folder route always (manifests link through it), and single-file downloads only when <paramref name="localBlobs"/>.</summary>
    public static IEndpointRouteBuilder MapStorage(this IEndpointRouteBuilder app, bool localBlobs = true)
    {
        app.MapMethods(StorageRoutes.Folders + "{expires}/{sig}/{prefix}/{**file}", ["GET", "HEAD"], DownloadFromFolder)
            .Doc("Downloads", "Download a file of a signed folder",
                "The segments and variant playlists a streaming manifest (HLS/DASH output) refers to, by relative URL, in sub-folders too. No API key: the URL is signed and expires. " +
                "Range requests are supported; with S3 storage, answers 302 to the bucket's own signed URL.")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces(StatusCodes.Status302Found)
            .Errors(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
        if (localBlobs)
        {
            // Other stores hand out their own signed URLs (S3: presigned); the API serves no single files for them.
            app.MapMethods(StorageRoutes.Files + "{**key}", ["GET", "HEAD"], Download)
                .Doc("Downloads", "Download a stored file",
                    "The `storage_url` of a file or command output. No API key: the URL is signed and expires. Range requests are supported.")
                .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
                .Errors(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        }
        return app;
    }

    /// <summary>A file of a signed folder (a manifest's segments): served from disk, or redirected to the blob store's own signed URL.</summary>
    private static async Task<IResult> DownloadFromFolder(string expires, string sig, string prefix, string file, PrefixUrls folders, IBlobStore blobs,
        DependencyHealth health, HttpContext context)
    {
        if (!long.TryParse(expires, NumberStyles.Integer, CultureInfo.InvariantCulture, out var until) || !folders.Verify(prefix, until, sig))
        {
            return ApiResults.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "This download link is invalid or has expired; poll the command for a fresh one.");
        }
        var key = BlobKeys.InFolder(prefix, file);
        if (blobs is LocalBlobStore local)
        {
            var path = local.TryGetLocalPath(key);
            if (path is null)
            {
                return ApiResults.NotFound("The file");
            }
            context.Response.Headers.CacheControl = "private, max-age=3600";
            return TypedResults.PhysicalFile(path, MediaTypes.ForFileName(path), enableRangeProcessing: true);
        }
        // A redirect to a store that is down would fail at the store; this answer says so, and when to come back.
        health.ThrowIfDown(Dependencies.BlobStore);
        if (MediaTypes.Extension(file) is "m3u8" or "mpd")
        {
            // Players resolve a manifest's relative references against the URL they finally read it from: redirected to
            // the store, its segments would resolve to unsigned store URLs. Manifests are small, so they are relayed.
            var temp = Path.GetTempFileName();
            try
            {
                await blobs.CopyToFileAsync(key, temp, context.RequestAborted);
                return TypedResults.Bytes(await File.ReadAllBytesAsync(temp, context.RequestAborted), MediaTypes.ForFileName(file));
            }
            catch (IOException)
            {
                return ApiResults.NotFound("The file");
            }
            finally
            {
                File.Delete(temp);
            }
        }
        return TypedResults.Redirect(blobs.GetDownloadUrl(key, TimeSpan.FromMinutes(10)));
    }

    private static IResult Download(string key, string? expires, string? name, string? sig, LocalBlobStore blobs, HttpContext context)
    {
        if (!long.TryParse(expires, NumberStyles.Integer, CultureInfo.InvariantCulture, out var until) || !blobs.Verify(key, until, name, sig))
        {
            return ApiResults.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "This download link is invalid or has expired; poll the command or file for a fresh one.");
        }
        var path = blobs.TryGetLocalPath(key);
        if (path is null)
        {
            return ApiResults.NotFound("The file");
        }
        context.Response.Headers.CacheControl = "private, max-age=3600";
        // The stored name is plain ASCII; the user's own name (uploads) goes in filename* so any characters survive.
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("inline") { FileName = Path.GetFileName(path) };
        if (name is not null)
        {
            disposition.FileNameStar = name;
        }
        context.Response.Headers.ContentDisposition = disposition.ToString();
        return TypedResults.PhysicalFile(path, MediaTypes.ForFileName(path), enableRangeProcessing: true);
    }
}
