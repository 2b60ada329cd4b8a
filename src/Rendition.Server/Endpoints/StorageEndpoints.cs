using System.Globalization;
using Rendition.Blobs.Local;
using Rendition.Core;
using Rendition.Core.Media;

namespace Rendition.Server.Endpoints;

/// <summary>Signed, unauthenticated downloads of locally stored files, with Range support.</summary>
public static class StorageEndpoints
{
    public static IEndpointRouteBuilder MapStorage(this IEndpointRouteBuilder app)
    {
        app.MapMethods(LocalBlobStore.RoutePrefix + "{**key}", ["GET", "HEAD"], Download);
        return app;
    }

    private static IResult Download(string key, string? expires, string? sig, LocalBlobStore blobs, HttpContext context)
    {
        if (!long.TryParse(expires, NumberStyles.Integer, CultureInfo.InvariantCulture, out var until) || !blobs.Verify(key, until, sig))
        {
            return ApiResults.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "This download link is invalid or has expired; poll the command or file for a fresh one.");
        }
        var path = blobs.TryGetLocalPath(key);
        if (path is null)
        {
            return ApiResults.NotFound("The file");
        }
        context.Response.Headers.CacheControl = "private, max-age=3600";
        return TypedResults.PhysicalFile(path, MediaTypes.ForFileName(path), enableRangeProcessing: true);
    }
}
