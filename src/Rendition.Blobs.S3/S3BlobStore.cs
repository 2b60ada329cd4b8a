using System.Globalization;
using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Rendition.Core;
using Rendition.Core.Media;
using Rendition.Core.Storage;

namespace Rendition.Blobs.S3;

/// <summary>Blobs as objects in an S3-compatible bucket; clients download them with presigned GET URLs, never through the API.</summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    /// <summary>The longest a SigV4 presigned URL may live (S3 refuses longer ones).</summary>
    public const int MaxPresignSeconds = 7 * 24 * 3600;

    private const int ClockSkewMarginSeconds = 15 * 60;

    // Below this, one PutObject; above, a multipart upload of PartSize parts (S3's minimum part is 5 MiB).
    private const long MultipartThreshold = 16L * 1024 * 1024;
    private const long PartSize = 8L * 1024 * 1024;
    private const int MaxParts = 10_000;
    private const int PartConcurrency = 4;

    private readonly AmazonS3Client _client;
    // Bodies are sent whole, never aws-chunked (which several S3-compatible servers store verbatim or refuse). Over
    // TLS the payload goes unsigned, as TLS already protects it and hashing would read every file twice; over plain
    // HTTP (a local MinIO, the tests) the SDK must sign it.
    private readonly bool? _unsignedPayload;
    private readonly string _bucket;
    private readonly Protocol _protocol;
    private readonly TimeProvider _time;
    private readonly Lazy<string> _ownPrefix;
    private readonly string _probeKey = $".rendition-probe/{Guid.NewGuid():N}";

    public S3BlobStore(S3Options options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _bucket = options.Bucket;
        _time = time;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // The SDK's default CRC trailers use aws-chunked bodies that several S3-compatible servers do not accept;
            // checksums are still sent where the API requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            // With a ServiceURL the SDK cannot infer the signing region from the host name.
            config.AuthenticationRegion = options.Region;
            _protocol = endpoint.Scheme == Uri.UriSchemeHttp ? Protocol.HTTP : Protocol.HTTPS;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
            _protocol = Protocol.HTTPS;
        }
        _client = options.AccessKey is { } accessKey && options.SecretKey is { } secretKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config)
            : new AmazonS3Client(config);
        _unsignedPayload = _protocol == Protocol.HTTPS ? true : null;
        // The SDK alone knows how it addresses this bucket (path or virtual-host style, regional host names), so the
        // prefix of our own URLs is taken from a URL it presigns rather than rebuilt here; lazily, as presigning needs
        // credentials, which the default chain may only find later (instance roles).
        _ownPrefix = new Lazy<string>(() =>
        {
            var probe = Presign("k", TimeSpan.FromMinutes(1), null);
            return probe[..probe.IndexOf("/k?", StringComparison.Ordinal)] + "/";
        });
    }

    public string Bucket => _bucket;

    /// <summary>Creates the bucket when it does not exist yet, so a fresh deployment needs no manual step.</summary>
    public async Task EnsureBucketAsync(CancellationToken ct)
    {
        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _bucket }, ct);
            return;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, ct);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            // Another node created it between our check and our create.
        }
    }

    public async Task PutFileAsync(string key, string localPath, CancellationToken ct)
    {
        var length = new FileInfo(localPath).Length;
        var contentType = MediaTypes.ForFileName(key);
        if (length < MultipartThreshold)
        {
            await CallAsync(() => _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                FilePath = localPath,
                ContentType = contentType,
                UseChunkEncoding = false,
                DisablePayloadSigning = _unsignedPayload,
            }, ct), ct);
        }
        else
        {
            await CallAsync(async () =>
            {
                await PutMultipartAsync(key, localPath, length, contentType, ct);
                return true;
            }, ct);
        }
        // The store owns the file once stored (as the local store moves it): the caller's copy is not left behind.
        File.Delete(localPath);
    }

    private async Task PutMultipartAsync(string key, string localPath, long length, string contentType, CancellationToken ct)
    {
        // S3 allows at most 10,000 parts: huge files get bigger parts rather than failing.
        var partSize = Math.Max(PartSize, (length + MaxParts - 1) / MaxParts);
        var count = (int)((length + partSize - 1) / partSize);
        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            ContentType = contentType,
        }, ct);
        try
        {
            var parts = new PartETag[count];
            // A few parts at a time, each read from the file as it is sent, so memory does not grow with the file.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = PartConcurrency, CancellationToken = ct };
            await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, async (i, token) =>
            {
                var position = i * partSize;
                var part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = i + 1,
                    FilePath = localPath,
                    FilePosition = position,
                    PartSize = Math.Min(partSize, length - position),
                    IsLastPart = i == count - 1,
                    UseChunkEncoding = false,
                    DisablePayloadSigning = _unsignedPayload,
                }, token);
                parts[i] = new PartETag(i + 1, part.ETag);
            });
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = [.. parts],
            }, ct);
        }
        catch
        {
            // The parts of an unfinished upload are kept (and billed) until it is aborted.
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None);
            throw;
        }
    }

    public async Task CopyToFileAsync(string key, string destinationPath, CancellationToken ct)
    {
        GetObjectResponse response;
        try
        {
            response = await CallAsync(() => _client.GetObjectAsync(_bucket, key, ct), ct);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Callers treat a missing blob as a missing file, whichever store holds it.
            throw new FileNotFoundException($"Blob '{key}' does not exist in bucket '{_bucket}'.", key, e);
        }
        using (response)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destinationPath))!);
            await using var output = new FileStream(destinationPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await CallAsync(async () =>
            {
                await response.ResponseStream.CopyToAsync(output, 1 << 20, ct);
                return true;
            }, ct);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken ct) =>
        await CallAsync(() => _client.DeleteObjectAsync(_bucket, key, ct), ct);

    /// <summary>One call to S3: a failure that means S3 cannot serve now (unreachable, timing out, 5xx, throttling) becomes a <see cref="DependencyUnavailableException"/>.</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (OutageReason(e, ct) is { } reason)
        {
            throw new DependencyUnavailableException(Dependencies.BlobStore, reason, e);
        }
    }

    /// <summary>Why <paramref name="error"/> (or one it wraps) shows S3 cannot serve now; null for anything else (a missing key, bad credentials, a local file).</summary>
    public static string? OutageReason(Exception error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return "S3 did not answer in time";
        }
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AmazonServiceException service when (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests
                    || service.ErrorCode is "SlowDown" or "RequestTimeout" or "ServiceUnavailable" or "InternalError":
                    return $"S3 answered {(int)service.StatusCode} {service.ErrorCode}";
                case HttpRequestException http:
                    return $"S3 cannot be reached ({http.HttpRequestError})";
                case System.Net.Sockets.SocketException socket:
                    return $"S3 cannot be reached ({socket.SocketErrorCode})";
                case TimeoutException:
                    return "S3 did not answer in time";
            }
        }
        return null;
    }

    public string GetDownloadUrl(string key, TimeSpan validFor, string? downloadName = null) =>
        Presign(key, validFor, downloadName);

    private string Presign(string key, TimeSpan validFor, string? downloadName)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = _bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Protocol = _protocol,
            Expires = ExpiryFor(validFor),
        };
        // Headers the object would otherwise lack or get wrong: the type from the name (as the local store serves it)
        // and the user's own file name. Both are signed, so a link cannot be edited to present another.
        request.ResponseHeaderOverrides.ContentType = MediaTypes.ForFileName(downloadName ?? key);
        var disposition = new System.Net.Mime.ContentDisposition { Inline = true, FileName = Path.GetFileName(key) };
        request.ResponseHeaderOverrides.ContentDisposition = downloadName is null
            ? disposition.ToString()
            : $"{disposition}; filename*=UTF-8''{Uri.EscapeDataString(downloadName)}";
        return _client.GetPreSignedURL(request);
    }

    // Past 7 days the SDK silently falls back to SigV2 URLs, which S3-compatible servers increasingly refuse. It measures
    // the lifetime from its own clock corrected by the skew it saw in the server's Date headers, which can run behind
    // ours; S3 refuses requests skewed by more than 15 minutes, so that much margin keeps every URL SigV4.
    private DateTime ExpiryFor(TimeSpan validFor)
    {
        var seconds = (long)Math.Clamp(validFor.TotalSeconds, 1, MaxPresignSeconds - ClockSkewMarginSeconds);
        return DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds() + seconds).UtcDateTime;
    }

    /// <summary>
    /// Recognises URLs into this bucket that carry a presigned GET which has not yet expired. The signature itself is
    /// not checked here: what the key unlocks is decided by the caller's ownership check (the account must own the
    /// file), and anything else falls back to an ordinary HTTP fetch, which S3 itself authenticates.
    /// </summary>
    public bool TryResolveOwnUrl(Uri url, out string key)
    {
        key = "";
        var path = url.GetLeftPart(UriPartial.Path);
        var prefix = _ownPrefix.Value;
        if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || path.Length == prefix.Length)
        {
            return false;
        }
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        if (string.IsNullOrEmpty(query["X-Amz-Signature"])
            || !DateTimeOffset.TryParseExact(query["X-Amz-Date"], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt)
            || !int.TryParse(query["X-Amz-Expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || signedAt.AddSeconds(seconds) < _time.GetUtcNow())
        {
            return false;
        }
        key = Uri.UnescapeDataString(path[prefix.Length..]);
        return true;
    }

    /// <summary>
    /// Puts and deletes a tiny object under a key of its own for this process (so probes never collide or pile up);
    /// this proves the bucket exists and the credentials may write, which a HEAD on the bucket would not.
    /// </summary>
    public async Task CheckWritableAsync(CancellationToken ct)
    {
        try
        {
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = _probeKey,
                ContentBody = "ok",
                ContentType = "text/plain",
                UseChunkEncoding = false,
                DisablePayloadSigning = _unsignedPayload,
            }, ct);
            await _client.DeleteObjectAsync(_bucket, _probeKey, ct);
        }
        catch (AmazonServiceException e)
        {
            throw new IOException($"cannot write to S3 bucket '{_bucket}': {e.ErrorCode ?? e.StatusCode.ToString()} {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
    }
}
