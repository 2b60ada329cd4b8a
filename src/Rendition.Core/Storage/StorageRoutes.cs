namespace Rendition.Core.Storage;

/// <summary>Where the API serves stored files without an API key (signed, expiring URLs).</summary>
public static class StorageRoutes
{
    /// <summary>Single files of the local blob store: <c>/storage/{key}?expires=…&amp;sig=…</c>.</summary>
    public const string Files = "/storage/";

    /// <summary>Files of a signed folder (a streaming output): <c>/storage/p/{expires}/{sig}/{folder}/{file}</c>.</summary>
    public const string Folders = Files + "p/";
}
