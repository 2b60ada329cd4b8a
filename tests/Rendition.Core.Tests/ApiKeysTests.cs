using Rendition.Core.Security;

namespace Rendition.Core.Tests;

public class ApiKeysTests
{
    [Fact]
    public void Generate_HasPrefixAnd64LowercaseHexCharacters() =>
        Assert.Matches("^ffsk_[0-9a-f]{64}$", ApiKeys.Generate());

    [Fact]
    public void Generate_ReturnsDifferentKeyEachCall()
    {
        var keys = Enumerable.Range(0, 20).Select(_ => ApiKeys.Generate()).ToList();

        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Hash_Is64LowercaseHexAndDeterministic()
    {
        var key = ApiKeys.Generate();

        var hash = ApiKeys.Hash(key);

        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, ApiKeys.Hash(key));
        Assert.NotEqual(key, hash);
    }

    [Fact]
    public void Hash_IsSha256OfUtf8Key() =>
        // SHA-256("abc") from FIPS 180-2.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeys.Hash("abc"));

    [Fact]
    public void Hash_DiffersForDifferentKeys() =>
        Assert.NotEqual(ApiKeys.Hash("ffsk_a"), ApiKeys.Hash("ffsk_b"));

    [Fact]
    public void DisplayPrefix_ReturnsFirstTwelveCharacters()
    {
        Assert.Equal("ffsk_0123456", ApiKeys.DisplayPrefix("ffsk_0123456789abcdef"));
        Assert.Equal("ffsk_1", ApiKeys.DisplayPrefix("ffsk_1"));
    }
}
