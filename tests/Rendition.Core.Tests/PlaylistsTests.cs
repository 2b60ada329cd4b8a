using System.Text;
using System.Text.Json;
using Rendition.Core.Contracts;
using Rendition.Core.Media;

namespace Rendition.Core.Tests;

/// <summary>Manifests are written by tenants' commands: describing one must never throw, whatever the text says.</summary>
public class PlaylistsTests
{
    private const string Media = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:2
        #EXTINF:1.500000,
        seg_000.ts
        #EXTINF:0.500000,
        seg_001.ts
        #EXT-X-ENDLIST
        """;

    private const string Master = """
        #EXTM3U
        #EXT-X-STREAM-INF:BANDWIDTH=307200,RESOLUTION=320x180,CODECS="avc1.42c00d"
        stream_0.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=153600,RESOLUTION=160x90
        stream_1.m3u8
        """;

    private const string Dash = """
        <?xml version="1.0" encoding="utf-8"?>
        <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" mediaPresentationDuration="PT2.5S" type="static">
          <Period><AdaptationSet>
            <Representation id="0" width="320" height="180" bandwidth="307200"/>
            <Representation id="1" width="160" height="90" bandwidth="153600"/>
          </AdaptationSet></Period>
        </MPD>
        """;

    private static MediaInfo Hls(string text, string? variant = null) =>
        Playlists.Describe("master.m3u8", text, ["stream_0.m3u8", "seg_000.ts"], name => name == "stream_0.m3u8" ? variant : null);

    private static MediaInfo Mpd(string text) => Playlists.Describe("manifest.mpd", text, ["init.mp4", "chunk_1.m4s"], _ => null);

    [Fact]
    public void WellFormedManifests_AreDescribed()
    {
        var media = Hls(Media);
        Assert.Equal(2.0, media.Duration);
        var master = Hls(Master, Media);
        Assert.Equal(2, master.Variants!.Count);
        Assert.Equal(320, master.Width);
        Assert.Equal(300.0, master.Variants[0].BitrateKb);
        Assert.Equal(2.0, master.Duration);
        var dash = Mpd(Dash);
        Assert.Equal(2.5, dash.Duration);
        Assert.Equal(180, dash.Height);
    }

    [Theory]
    [InlineData("#EXTM3U\n#EXTINF:1.2.3,\na.ts\n#EXTINF:2,\nb.ts", 2.0)]
    [InlineData("#EXTM3U\n#EXTINF:abc,\na.ts\n#EXTINF:-5,\nb.ts\n#EXTINF:1.25\nc.ts", 1.25)]
    [InlineData("#EXTM3U\n#EXTINF:NaN,\na.ts\n#EXTINF:Infinity,\nb.ts\n#EXTINF:1e400,\nc.ts", null)]
    [InlineData("#EXTM3U\n#EXTINF:1e308,\na.ts\n#EXTINF:1e308,\nb.ts", null)]
    [InlineData("#EXTM3U\n#EXTINF:,\na.ts\n#EXTINF:", null)]
    public void BadSegmentDurations_AreSkipped_NeverThrown(string text, double? duration) =>
        Assert.Equal(duration, Hls(text).Duration);

    [Theory]
    [InlineData("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1e999,RESOLUTION=99999999999x-1\nv.m3u8")]
    [InlineData("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=,RESOLUTION=x\nv.m3u8")]
    [InlineData("#EXTM3U\n#EXT-X-STREAM-INF:\n#EXT-X-STREAM-INF:BANDWIDTH=\"12\nv.m3u8")]
    public void BadVariantAttributes_AreSkipped(string text)
    {
        var info = Hls(text);
        Assert.All(info.Variants!, v => Assert.True(v.BitrateKb is null || double.IsFinite(v.BitrateKb.Value)));
        AssertSerializable(info);
    }

    [Theory]
    [InlineData("PT")]
    [InlineData("P")]
    [InlineData("PT1.2.3S")]
    [InlineData("1.5")]
    [InlineData("P99999999999999999Y")]
    [InlineData("PT99999999999999999999S")]
    [InlineData("-PT5S")]
    [InlineData("")]
    public void BadDashDurations_GiveNoDuration(string duration)
    {
        var info = Mpd(Dash.Replace("PT2.5S", duration, StringComparison.Ordinal));
        Assert.Null(info.Duration);
        Assert.Equal(2, info.Variants!.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a manifest at all")]
    [InlineData("<MPD")]
    [InlineData("<!DOCTYPE MPD [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><MPD mediaPresentationDuration=\"&b;\"/>")]
    [InlineData("<MPD><Representation width=\"99999999999\" height=\"-3\" bandwidth=\"x\"/></MPD>")]
    public void GarbageDash_KeepsWhatTheNameTells(string text)
    {
        var info = Mpd(text);
        Assert.Equal("dash", info.FileFormat);
        AssertSerializable(info);
    }

    [Fact]
    public void ReadText_StopsAtTheCap()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, Encoding.UTF8.GetBytes("#EXTM3U\n" + new string('#', Playlists.MaxManifestBytes * 2)));
            Assert.Equal(Playlists.MaxManifestBytes, Playlists.ReadText(path).Length);
            File.WriteAllText(path, Media);
            Assert.Equal(Media, Playlists.ReadText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Thousands of mutations of real manifests (bytes flipped, cut, repeated; numbers made huge, negative, malformed):
    /// none throws, and every description can be written as the JSON a poll returns.
    /// </summary>
    [Fact]
    public void MutatedManifests_NeverThrow()
    {
        string[] pieces = ["1.2.3", "1e400", "-1", "NaN", "99999999999999999999", "PT", "P1Y2M", "x", ",", "\"", "=", "\n", "#EXTINF:", "#EXT-X-STREAM-INF:",
            "BANDWIDTH=", "RESOLUTION=", "<", ">", "&", "&amp;", "<!--", "]]>", "\0", "\uFFFD", "0x10", "1/0"];
        var random = new Random(17);
        var runs = 0;
        foreach (var (name, seed) in new[] { ("a.m3u8", Media), ("master.m3u8", Master), ("m.mpd", Dash) })
        {
            for (var i = 0; i < 1500; i++)
            {
                var text = new StringBuilder(seed);
                for (var m = random.Next(1, 6); m > 0; m--)
                {
                    var at = random.Next(text.Length + 1);
                    switch (random.Next(5))
                    {
                        case 0:
                            text.Insert(at, pieces[random.Next(pieces.Length)]);
                            break;
                        case 1 when text.Length > 0:
                            text.Remove(Math.Min(at, text.Length - 1), Math.Min(random.Next(1, 20), text.Length - Math.Min(at, text.Length - 1)));
                            break;
                        case 2 when at < text.Length:
                            text[at] = (char)random.Next(0, 128);
                            break;
                        case 3:
                            text.Length = at;
                            break;
                        default:
                            text.Insert(at, text.ToString(0, Math.Min(at, 200)));
                            break;
                    }
                }
                var mutated = text.ToString();
                var info = Playlists.Describe(name, mutated, ["stream_0.m3u8", "seg_000.ts"], _ => mutated);
                Assert.True(info.Duration is null || (double.IsFinite(info.Duration.Value) && info.Duration > 0), mutated);
                AssertSerializable(info);
                _ = Playlists.References(mutated).Count();
                runs++;
            }
        }
        Assert.Equal(4500, runs);
    }

    [Theory]
    [InlineData("./stream_0.m3u8", "stream_0.m3u8")]
    [InlineData("stream_0/index.m3u8", "stream_0/index.m3u8")]
    [InlineData("./stream_0/./index.m3u8", "stream_0/index.m3u8")]
    public void Describe_ReadsTheFirstVariantByItsRelativePath(string reference, string companion)
    {
        // ffmpeg writes "./stream_0.m3u8" into the master when its output was named "./stream_%v.m3u8", as the runner names it.
        var master = $"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=330000,RESOLUTION=128x72\n{reference}\n";

        var info = Playlists.Describe("master.m3u8", master, [companion, "seg_000.ts", "seg_001.ts"], name => name == companion ? Media : null);

        Assert.Equal(2.0, info.Duration);
        Assert.Equal(128, Assert.Single(info.Variants!).Width);
    }

    private static void AssertSerializable(MediaInfo info) =>
        Assert.StartsWith("{", JsonSerializer.Serialize(info, WireJson.Default.MediaInfo), StringComparison.Ordinal);
}
