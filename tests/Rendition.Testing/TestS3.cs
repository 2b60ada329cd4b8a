using Rendition.Core;

namespace Rendition.Testing;

/// <summary>Reaching the test S3 server that scripts/test-s3.sh starts (s3rver, with its built-in key pair).</summary>
public static class TestS3
{
    public const string EndpointVariable = "RENDITION_TEST_S3_ENDPOINT";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string Region = "us-east-1";

    /// <summary>The server's URL (no trailing slash); a missing one fails the test (never skips it), saying how to provide it.</summary>
    public static string Endpoint => Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } url
        ? url.TrimEnd('/')
        : throw new InvalidOperationException(
            $"{EndpointVariable} is not set: the S3 tests need the test S3 server. Run `make test`, or wrap the command in scripts/test-s3.sh.");

    /// <summary>Options of a blob store on <paramref name="bucket"/>.</summary>
    public static S3Options Options(string bucket) => new()
    {
        Bucket = bucket,
        Endpoint = new Uri(Endpoint),
        Region = Region,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        ForcePathStyle = true,
    };

    /// <summary>The <c>RENDITION_S3_*</c> settings of a server storing its files in <paramref name="bucket"/>.</summary>
    public static Dictionary<string, string> ServerSettings(string bucket) => new()
    {
        ["RENDITION_S3_BUCKET"] = bucket,
        ["RENDITION_S3_ENDPOINT"] = Endpoint,
        ["RENDITION_S3_REGION"] = Region,
        ["RENDITION_S3_ACCESS_KEY"] = AccessKey,
        ["RENDITION_S3_SECRET_KEY"] = SecretKey,
        ["RENDITION_S3_FORCE_PATH_STYLE"] = "true",
    };
}
