using System.Net;
using System.Net.Sockets;
using Rendition.Core;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>An input could not be fetched; the job fails with <c>UNREACHABLE_INPUT_FILE</c>.</summary>
public sealed class InputFetchException : Exception
{
    public InputFetchException(string message)
        : base(message)
    {
    }

    public InputFetchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InputFetchException()
    {
    }

    /// <summary>The input was fetched but is of a kind commands may not read (a playlist, say).</summary>
    public bool Refused { get; init; }
}

/// <summary>Fetches input URLs into a job directory: streamed, size-capped, SSRF-guarded; the server's own storage URLs come straight from the blob store.</summary>
public sealed class InputFetcher(IHttpClientFactory httpClients, IBlobStore blobs, IFileStore files, RenditionOptions options)
{
    public const string HttpClientName = "inputs";

    /// <summary>The primary handler for the inputs client: connects only to addresses the SSRF guard allows, re-checked for every connection (so for every redirect).</summary>
    public static SocketsHttpHandler CreateHandler(bool allowPrivate, bool followRedirects = true) => new()
    {
        AllowAutoRedirect = followRedirects,
        MaxAutomaticRedirections = 5,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, ct);
            var allowed = allowPrivate ? addresses : addresses.Where(NetworkGuard.IsPublic).ToArray();
            if (allowed.Length == 0)
            {
                throw new HttpRequestException($"{host} resolves to a private, loopback or link-local address, which inputs may not reach");
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>The file extension to keep for an input fetched from this URL (demuxers such as srt or image2 rely on it).</summary>
    public static string ExtensionFor(Uri url)
    {
        var last = url.AbsolutePath.Split('/').LastOrDefault() ?? "";
        var ext = Path.GetExtension(Uri.UnescapeDataString(last));
        return ext.Length is > 1 and <= 10 && ext[1..].All(char.IsAsciiLetterOrDigit) ? ext.ToLowerInvariant() : "";
    }

    /// <summary>
    /// Fetches <paramref name="url"/> to <paramref name="destination"/> for <paramref name="accountId"/>; throws
    /// <see cref="InputFetchException"/> with a message naming <paramref name="alias"/>.
    /// </summary>
    public async Task FetchAsync(string alias, Uri url, string destination, Guid accountId, CancellationToken ct)
    {
        var maxBytes = options.MaxInputMb * 1024 * 1024;
        // The account's own stored files come straight from the blob store; another account's link is just an external URL.
        if (blobs.TryResolveOwnUrl(url, out var key) && await OwnsAsync(accountId, key, ct))
        {
            try
            {
                await blobs.CopyToFileAsync(key, destination, ct);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new InputFetchException($"Input {alias} ({url}) is a stored file that no longer exists.", e);
            }
        }

        var client = httpClients.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new InputFetchException($"Input {alias} ({url}) could not be fetched: {Describe(e)}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new InputFetchException($"Input {alias} ({url}) could not be fetched: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
            {
                throw new InputFetchException($"Input {alias} ({url}) is {length} bytes, over the {options.MaxInputMb} MB limit.");
            }
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await using var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 17];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        throw new InputFetchException($"Input {alias} ({url}) is over the {options.MaxInputMb} MB limit.");
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                throw new InputFetchException($"Input {alias} ({url}) could not be read to the end: {Describe(e)}", e);
            }
        }
    }

    private async Task<bool> OwnsAsync(Guid accountId, string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !Guid.TryParseExact(key[..slash], "N", out var fileId))
        {
            return false;
        }
        var file = await files.FindFileAsync(fileId, ct);
        return file is { IsDeleted: false } && file.AccountId == accountId && file.StorageKey == key;
    }

    private static string Describe(Exception e) => e switch
    {
        TaskCanceledException => "timed out",
        HttpRequestException { InnerException: SocketException s } => s.Message,
        _ => e.Message,
    };
}
