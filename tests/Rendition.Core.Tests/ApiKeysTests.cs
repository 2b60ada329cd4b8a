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
    public void DisplayPrefix_OfAGeneratedKey_IsItsFirstTwelveCharacters()
    {
        var key = "ffsk_0123456789abcdef" + new string('0', 48);
        Assert.Equal("ffsk_0123456", ApiKeys.DisplayPrefix(key));
        Assert.Equal("ffsk_0123456789abcdef", ApiKeys.LookupPrefix(key));
        Assert.Equal(new NewApiKey(ApiKeys.Hash(key), "ffsk_0123456", "ffsk_0123456789abcdef"), ApiKeys.ForStorage(key));
    }

    [Fact]
    public void KeysOfAnotherForm_KeepAtMostAQuarterInTheClear_AndNoLookupPrefix()
    {
        // An operator's RENDITION_BOOTSTRAP_API_KEY may be anything, and short: twelve characters of it could be all of it.
        Assert.Equal("s", ApiKeys.DisplayPrefix("secret"));
        Assert.Equal("my-o", ApiKeys.DisplayPrefix("my-own-secret-17c"));
        Assert.Equal("a-long-opera", ApiKeys.DisplayPrefix("a-long-operator-chosen-key-of-64-characters-xxxxxxxxxxxxxxxxxxxxx"));
        Assert.Null(ApiKeys.LookupPrefix("my-own-secret-17c"));
        // Upper-case hex, a wrong length or another prefix is not the generated form.
        Assert.False(ApiKeys.IsGenerated("ffsk_" + new string('A', 64)));
        Assert.False(ApiKeys.IsGenerated("ffsk_" + new string('a', 63)));
        Assert.False(ApiKeys.IsGenerated("ffsx_" + new string('a', 64)));
        Assert.True(ApiKeys.IsGenerated(ApiKeys.Generate()));
    }
}
