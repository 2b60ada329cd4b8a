using System.Text.Json;
using Rendition.Core.Contracts;
using Rendition.Core.Media;

namespace Rendition.Core.Tests;

public class ProbeMapperTests
{
    private const string Mp4Probe = """
        {
          "streams": [
            { "index": 0, "codec_name": "h264", "codec_type": "video", "width": 1280, "height": 720, "pix_fmt": "yuv420p",
              "r_frame_rate": "30000/1001", "avg_frame_rate": "30000/1001", "duration": "10.010000", "bit_rate": "1024000", "nb_frames": "300",
              "disposition": { "default": 1, "attached_pic": 0 } },
            { "index": 1, "codec_name": "aac", "codec_type": "audio", "sample_rate": "48000", "channels": 2,
              "duration": "10.005333", "bit_rate": "131072" }
          ],
          "format": { "filename": "out.mp4", "nb_streams": 2, "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
                      "duration": "10.010000", "size": "1447000", "bit_rate": "1156443" }
        }
        """;

    private const string WebmProbe = """
        {
          "streams": [
            { "index": 0, "codec_name": "vp9", "codec_type": "video", "width": 640, "height": 360, "pix_fmt": "yuv420p",
              "r_frame_rate": "25/1", "avg_frame_rate": "25/1", "tags": { "ENCODER": "Lavc libvpx-vp9" } }
          ],
          "format": { "filename": "out.webm", "nb_streams": 1, "format_name": "matroska,webm", "duration": "2.0", "size": "128500" }
        }
        """;

    private const string PngProbe = """
        {
          "streams": [
            { "index": 0, "codec_name": "png", "codec_type": "video", "width": 320, "height": 180, "pix_fmt": "rgb24",
              "r_frame_rate": "25/1", "avg_frame_rate": "0/0" }
          ],
          "format": { "filename": "thumb.png", "nb_streams": 1, "format_name": "png_pipe", "size": "20480" }
        }
        """;

    private const string Mp3Probe = """
        {
          "streams": [
            { "index": 0, "codec_name": "mp3", "codec_type": "audio", "sample_rate": "44100", "channels": 2,
              "duration": "3.056327", "bit_rate": "128000" }
          ],
          "format": { "filename": "out.mp3", "nb_streams": 1, "format_name": "mp3", "duration": "3.056327", "size": "48901", "bit_rate": "128003" }
        }
        """;

    private const string Mp3WithCoverProbe = """
        {
          "streams": [
            { "index": 0, "codec_name": "mp3", "codec_type": "audio", "sample_rate": "44100", "channels": 2, "bit_rate": "192000" },
            { "index": 1, "codec_name": "mjpeg", "codec_type": "video", "width": 500, "height": 500,
              "r_frame_rate": "90000/1", "avg_frame_rate": "0/0", "disposition": { "attached_pic": 1 } }
          ],
          "format": { "format_name": "mp3", "duration": "4.000000" }
        }
        """;

    private static MediaInfo Map(string json, string fileName, IReadOnlyDictionary<int, long>? packetBytes = null)
    {
        using var doc = JsonDocument.Parse(json);
        return ProbeMapper.Map(doc.RootElement, fileName, 1000, packetBytes);
    }

    private static bool NeedsPacketScan(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return ProbeMapper.NeedsPacketScan(doc.RootElement);
    }

    [Fact]
    public void Map_Mp4VideoGivesFormatTypeMimeCodecAndSize()
    {
        var info = Map(Mp4Probe, "out.mp4");

        Assert.Equal("mp4", info.FileFormat);
        Assert.Equal("video", info.FileType);
        Assert.Equal("video/mp4", info.MimeType);
        Assert.Equal("h264", info.Codec);
        Assert.Equal("yuv420p", info.PixelFormat);
        Assert.Equal(1280, info.Width);
        Assert.Equal(720, info.Height);
        Assert.Equal(10.01, info.Duration);
    }

    [Fact]
    public void Map_Mp4VideoRoundsNtscFrameRateAndConvertsBitratesToKb()
    {
        var info = Map(Mp4Probe, "out.mp4");

        Assert.Equal(29.97, info.FrameRate);
        Assert.False(info.IsVaryingFrameRate);
        Assert.Equal(1000, info.BitrateVideoKb);
        Assert.Equal(128, info.BitrateAudioKb);
        Assert.Equal(48000, info.SampleRate);
        Assert.Equal(2, info.Channels);
    }

    [Fact]
    public void Map_MovNamedFileInMp4FamilyContainerKeepsMovFormatAndMime()
    {
        var info = Map(Mp4Probe, "clip.mov");

        Assert.Equal("mov", info.FileFormat);
        Assert.Equal("video/quicktime", info.MimeType);
    }

    [Fact]
    public void Map_WebmWithoutBitrateUsesPacketBytesOverDuration()
    {
        var info = Map(WebmProbe, "out.webm", new Dictionary<int, long> { [0] = 128000 });

        Assert.Equal("webm", info.FileFormat);
        Assert.Equal("video", info.FileType);
        Assert.Equal("video/webm", info.MimeType);
        Assert.Equal("vp9", info.Codec);
        Assert.Equal(2.0, info.Duration);
        Assert.Equal(25, info.FrameRate);
        Assert.Equal(500, info.BitrateVideoKb);
    }

    [Fact]
    public void Map_WebmWithoutBitrateOrPacketBytesHasNoBitrate() =>
        Assert.Null(Map(WebmProbe, "out.webm").BitrateVideoKb);

    [Fact]
    public void Map_MkvNamedMatroskaFileUsesItsExtension()
    {
        var info = Map(WebmProbe, "out.mkv");

        Assert.Equal("mkv", info.FileFormat);
        Assert.Equal("video/x-matroska", info.MimeType);
    }

    [Fact]
    public void Map_PngPipeIsImageWithoutDurationOrFrameRate()
    {
        var info = Map(PngProbe, "thumb.png");

        Assert.Equal("image", info.FileType);
        Assert.Equal("png", info.FileFormat);
        Assert.Equal("image/png", info.MimeType);
        Assert.Equal("png", info.Codec);
        Assert.Equal(320, info.Width);
        Assert.Equal(180, info.Height);
        Assert.Null(info.Duration);
        Assert.Null(info.FrameRate);
        Assert.Null(info.BitrateVideoKb);
    }

    [Fact]
    public void Map_PngPipeWithoutExtensionTakesFormatFromContainerName()
    {
        var info = Map(PngProbe, "thumb");

        Assert.Equal("png", info.FileFormat);
        Assert.Equal("image", info.FileType);
        Assert.Equal("image/png", info.MimeType);
    }

    [Fact]
    public void Map_Mp3IsAudioWithCodecAndMime()
    {
        var info = Map(Mp3Probe, "out.mp3");

        Assert.Equal("audio", info.FileType);
        Assert.Equal("mp3", info.FileFormat);
        Assert.Equal("mp3", info.Codec);
        Assert.Equal("audio/mpeg", info.MimeType);
        Assert.Equal(44100, info.SampleRate);
        Assert.Equal(125, info.BitrateAudioKb);
        Assert.Equal(3.056327, info.Duration);
        Assert.Null(info.Width);
        Assert.Null(info.FrameRate);
        Assert.Null(info.BitrateVideoKb);
    }

    [Fact]
    public void Map_Mp3WithCoverArtIsStillAudio()
    {
        var info = Map(Mp3WithCoverProbe, "song.mp3");

        Assert.Equal("audio", info.FileType);
        Assert.Equal("mp3", info.Codec);
        Assert.Null(info.Width);
        Assert.Equal(4.0, info.Duration);
    }

    [Fact]
    public void Map_AudioOnlyWebmHasAudioWebmMime()
    {
        const string json = """
            { "streams": [ { "index": 0, "codec_name": "opus", "codec_type": "audio", "sample_rate": "48000", "channels": 1 } ],
              "format": { "format_name": "matroska,webm", "duration": "1.5" } }
            """;

        var info = Map(json, "voice.webm");

        Assert.Equal("audio", info.FileType);
        Assert.Equal("audio/webm", info.MimeType);
        Assert.Equal("opus", info.Codec);
    }

    [Fact]
    public void Map_VariableFrameRateIsFlaggedWhenAverageDiffersFromReal()
    {
        var json = Mp4Probe.Replace("\"avg_frame_rate\": \"30000/1001\"", "\"avg_frame_rate\": \"24/1\"", StringComparison.Ordinal);

        var info = Map(json, "out.mp4");

        Assert.Equal(24, info.FrameRate);
        Assert.True(info.IsVaryingFrameRate);
    }

    [Fact]
    public void Map_EmptyProbeGivesOnlyWhatTheNameTells()
    {
        var info = Map("{}", "notes.txt");

        Assert.Equal("txt", info.FileFormat);
        Assert.Equal("text/plain", info.MimeType);
        Assert.Null(info.FileType);
        Assert.Null(info.Duration);
    }

    [Theory]
    [InlineData("0/0")]
    [InlineData("0/1")]
    [InlineData("1/0")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("abc")]
    [InlineData("0")]
    public void Rational_IsNullForZeroEmptyOrInvalid(string? value) =>
        Assert.Null(ProbeMapper.Rational(value));

    [Theory]
    [InlineData("25", 25.0)]
    [InlineData("25/1", 25.0)]
    [InlineData("30000/1001", 30000.0 / 1001.0)]
    [InlineData("24000/1001", 24000.0 / 1001.0)]
    [InlineData("29.97", 29.97)]
    public void Rational_ParsesFractionsAndPlainNumbers(string value, double expected) =>
        Assert.Equal(expected, ProbeMapper.Rational(value));

    [Fact]
    public void NeedsPacketScan_TrueWhenAStreamLacksBitrate() =>
        Assert.True(NeedsPacketScan(WebmProbe));

    [Fact]
    public void NeedsPacketScan_FalseWhenEveryStreamStatesBitrate() =>
        Assert.False(NeedsPacketScan(Mp4Probe));

    [Fact]
    public void NeedsPacketScan_FalseWhenMatroskaBpsTagGivesBitrate()
    {
        const string json = """
            { "streams": [ { "index": 0, "codec_type": "video", "codec_name": "h264", "tags": { "BPS": "2000000" } } ],
              "format": { "format_name": "matroska,webm", "duration": "1.0" } }
            """;

        Assert.False(NeedsPacketScan(json));
        Assert.Equal(2000000 / 1024.0, Map(json, "out.mkv").BitrateVideoKb);
    }

    [Fact]
    public void NeedsPacketScan_IgnoresSubtitleAndDataStreams()
    {
        const string json = """
            { "streams": [ { "index": 0, "codec_type": "subtitle", "codec_name": "subrip" }, { "index": 1, "codec_type": "data" } ] }
            """;

        Assert.False(NeedsPacketScan(json));
    }

    [Fact]
    public void NeedsPacketScan_FalseWithoutStreams() =>
        Assert.False(NeedsPacketScan("{}"));
}
