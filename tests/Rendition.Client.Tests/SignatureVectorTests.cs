using System.Text;

namespace Rendition.Client.Tests;

/// <summary>Signature checks against fixed, independently published vectors, so the SDK cannot merely agree with the server on a mistake.</summary>
public sealed class SignatureVectorTests
{
    // RFC 4231-style well-known vector: HMAC-SHA256(key "key", "The quick brown fox jumps over the lazy dog").
    private static readonly byte[] FoxBody = Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog");
    private const string FoxHex = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";

    // The Standard Webhooks specification's own example.
    private const string StdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string StdId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string StdTimestamp = "1614265330";
    private static readonly byte[] StdBody = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
    private const string StdSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static readonly DateTimeOffset StdTime = DateTimeOffset.FromUnixTimeSeconds(1614265330);

    [Fact]
    public void Verify_AcceptsTheKnownHexSignature_InEitherCase()
    {
        Assert.Equal(FoxHex, WebhookSignature.Sign(FoxBody, "key"));
        Assert.True(WebhookSignature.Verify(FoxBody, FoxHex, "key"));
        Assert.True(WebhookSignature.Verify(FoxBody, FoxHex.ToUpperInvariant(), "key"));
    }

    [Theory]
    [InlineData("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd9")]
    [InlineData("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3c")]
    [InlineData("")]
    [InlineData("not-hex")]
    public void Verify_RefusesAnyOtherHeader(string header) =>
        Assert.False(WebhookSignature.Verify(FoxBody, header, "key"));

    [Fact]
    public void Verify_RefusesAnotherKeyOrBody()
    {
        Assert.False(WebhookSignature.Verify(FoxBody, FoxHex, "Key"));
        Assert.False(WebhookSignature.Verify([.. FoxBody, (byte)'.'], FoxHex, "key"));
    }

    [Fact]
    public void VerifyStandard_AcceptsTheSpecExample()
    {
        Assert.Equal(StdSignature, WebhookSignature.SignStandard(StdBody, StdId, 1614265330, StdSecret));
        Assert.True(WebhookSignature.VerifyStandard(StdBody, StdId, StdTimestamp, StdSignature, StdSecret, WebhookSignature.DefaultTolerance, StdTime));
    }

    [Fact]
    public void VerifyStandard_AcceptsAnyOneValidEntryOfSeveral() =>
        Assert.True(WebhookSignature.VerifyStandard(StdBody, StdId, StdTimestamp, "v1,Zm9vYmFy " + StdSignature, StdSecret, WebhookSignature.DefaultTolerance, StdTime));

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    public void VerifyStandard_RefusesATimestampOutsideTheTolerance(int skewSeconds)
    {
        Assert.True(WebhookSignature.VerifyStandard(StdBody, StdId, StdTimestamp, StdSignature, StdSecret, WebhookSignature.DefaultTolerance, StdTime.AddSeconds(skewSeconds > 0 ? 299 : -299)));
        Assert.False(WebhookSignature.VerifyStandard(StdBody, StdId, StdTimestamp, StdSignature, StdSecret, WebhookSignature.DefaultTolerance, StdTime.AddSeconds(skewSeconds)));
    }

    [Fact]
    public void VerifyStandard_UsesTheWallClock_SoTheOldSpecExampleIsAReplay() =>
        Assert.False(WebhookSignature.VerifyStandard(StdBody, StdId, StdTimestamp, StdSignature, StdSecret));

    [Theory]
    [InlineData("msg_other", StdTimestamp, StdSignature, StdSecret)]
    [InlineData(StdId, "1614265331", StdSignature, StdSecret)]
    [InlineData(StdId, "not-a-number", StdSignature, StdSecret)]
    [InlineData(StdId, StdTimestamp, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", StdSecret)]
    [InlineData(StdId, StdTimestamp, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", StdSecret)]
    [InlineData(StdId, StdTimestamp, StdSignature, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx")]
    [InlineData(StdId, StdTimestamp, "", StdSecret)]
    public void VerifyStandard_RefusesAnyChangedPart(string id, string timestamp, string signature, string secret) =>
        Assert.False(WebhookSignature.VerifyStandard(StdBody, id, timestamp, signature, secret, WebhookSignature.DefaultTolerance, StdTime));
}
