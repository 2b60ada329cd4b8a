using Microsoft.Extensions.Configuration;
using Rendition.Server;

namespace Rendition.Blobs.Tests;

/// <summary>RENDITION_S3_* are read at start; a value the server cannot run with stops it with a message naming the setting.</summary>
public sealed class S3SettingsTests
{
    private static Rendition.Core.RenditionOptions Load(Dictionary<string, string?> values) =>
        RenditionSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void NoBucket_KeepsLocalDisk()
    {
        Assert.Null(Load([]).S3);
    }

    [Fact]
    public void Bucket_SwitchesToS3_WithDefaultsAndGivenValues()
    {
        var s3 = Load(new()
        {
            ["RENDITION_S3_BUCKET"] = "media-out",
            ["RENDITION_S3_ENDPOINT"] = "http://minio:9000",
            ["RENDITION_S3_ACCESS_KEY"] = "key",
            ["RENDITION_S3_SECRET_KEY"] = "secret",
            ["RENDITION_S3_FORCE_PATH_STYLE"] = "true",
        }).S3;
        Assert.NotNull(s3);
        Assert.Equal("media-out", s3.Bucket);
        Assert.Equal(new Uri("http://minio:9000"), s3.Endpoint);
        Assert.Equal("us-east-1", s3.Region);
        Assert.Equal(("key", "secret"), (s3.AccessKey, s3.SecretKey));
        Assert.True(s3.ForcePathStyle);

        var aws = Load(new() { ["RENDITION_S3_BUCKET"] = "media-out", ["RENDITION_S3_REGION"] = "eu-west-1" }).S3!;
        Assert.Null(aws.Endpoint);
        Assert.Null(aws.AccessKey);
        Assert.Equal("eu-west-1", aws.Region);
        Assert.False(aws.ForcePathStyle);
    }

    [Theory]
    [InlineData("RENDITION_S3_BUCKET", "Media_Out", "RENDITION_S3_BUCKET")]
    [InlineData("RENDITION_S3_BUCKET", "ab", "RENDITION_S3_BUCKET")]
    [InlineData("RENDITION_S3_ENDPOINT", "minio:9000", "RENDITION_S3_ENDPOINT")]
    [InlineData("RENDITION_S3_ENDPOINT", "ftp://minio", "RENDITION_S3_ENDPOINT")]
    [InlineData("RENDITION_S3_REGION", "EU West", "RENDITION_S3_REGION")]
    [InlineData("RENDITION_S3_FORCE_PATH_STYLE", "sometimes", "RENDITION_S3_FORCE_PATH_STYLE")]
    [InlineData("RENDITION_S3_ACCESS_KEY", "only-the-key", "RENDITION_S3_SECRET_KEY")]
    [InlineData("RENDITION_URL_EXPIRY_SECONDS", "1209600", "RENDITION_URL_EXPIRY_SECONDS")]
    public void BadValue_IsRefusedNamingTheSetting(string name, string value, string named)
    {
        var values = new Dictionary<string, string?> { ["RENDITION_S3_BUCKET"] = "media-out", [name] = value };
        var e = Assert.Throws<SettingsException>(() => Load(values));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3Details_WithoutABucket_AreRefused_NotIgnored()
    {
        var e = Assert.Throws<SettingsException>(() => Load(new() { ["RENDITION_S3_ENDPOINT"] = "http://minio:9000" }));
        Assert.Contains("RENDITION_S3_BUCKET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongUrlExpiry_IsStillFine_OnLocalDisk()
    {
        Assert.Equal(1209600, Load(new() { ["RENDITION_URL_EXPIRY_SECONDS"] = "1209600" }).UrlExpirySeconds);
    }
}
