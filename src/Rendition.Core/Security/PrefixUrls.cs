namespace Rendition.Core.Security;

/// <summary>
/// Signed URLs for a whole folder of stored files (a streaming manifest and its segments): the signature and expiry sit in
/// the path, so the manifest's relative references resolve to URLs that carry them too and a player needs nothing else.
/// </summary>
public sealed class PrefixUrls(UrlSigner signer, RenditionOptions options, TimeProvider time)
{
    public string Url(string prefix, string fileName, TimeSpan validFor)
    {
        var expires = time.GetUtcNow().Add(validFor).ToUnixTimeSeconds();
        return $"{options.PublicUrl.TrimEnd('/')}{Storage.StorageRoutes.Folders}{expires}/{signer.Sign(Payload(prefix), expires)}/{Uri.EscapeDataString(prefix)}/{Uri.EscapeDataString(fileName)}";
    }

    public bool Verify(string prefix, long expires, string signature) => signer.Verify(Payload(prefix), expires, signature, time.GetUtcNow());

    private static string Payload(string prefix) => "prefix:" + prefix;
}
