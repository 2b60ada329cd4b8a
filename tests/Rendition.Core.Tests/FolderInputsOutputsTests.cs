using System.Text.Json;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;

namespace Rendition.Core.Tests;

/// <summary>OUTPUT_FOLDER and input_compressed_folder: the wire format and validation (the archive checks are InputArchiveTests).</summary>
public sealed class FolderInputsOutputsTests
{
    private static SubmitCommandRequest Parse(string json) => JsonSerializer.Deserialize(json, WireJson.Default.SubmitCommandRequest)!;

    private static ValidatedCommand Valid(SubmitCommandRequest request) =>
        new CommandValidator(new RenditionOptions { MaxCommandRunSeconds = 3600 }).Validate(request, ApiFlavor.Rendi);

    private static RequestValidationException Invalid(SubmitCommandRequest request) =>
        Assert.Throws<RequestValidationException>(() => Valid(request));

    [Fact]
    public void OutputFolder_ParsesValidatesAndEchoesAsTheString()
    {
        var request = Parse("""{"input_files":{"in_1":"https://example.com/a.mp4"},"output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i {{in_1}} -vf fps=1 frame_%03d.png"}""");
        Assert.True(request.OutputFiles!.IsFolder);

        var valid = Valid(request);
        Assert.True(valid.Request.OutputFiles.IsFolder);
        var echoed = JsonSerializer.Serialize(valid.Request, WireJson.Default.OriginalRequest);
        Assert.Contains("\"output_files\":\"OUTPUT_FOLDER\"", echoed, StringComparison.Ordinal);
        Assert.DoesNotContain("input_compressed_folder", echoed, StringComparison.Ordinal);

        var stored = JsonSerializer.Deserialize(echoed, WireJson.Default.OriginalRequest)!;
        Assert.True(stored.OutputFiles.IsFolder);
        Assert.Empty(stored.OutputFiles);
    }

    [Fact]
    public void OutputMap_StillRoundTripsAsAnObject()
    {
        var valid = Valid(Parse("""{"input_files":{"in_1":"https://example.com/a.mp4"},"output_files":{"out_1":"o.mp4"},"ffmpeg_command":"-i {{in_1}} {{out_1}}"}"""));
        var echoed = JsonSerializer.Serialize(valid.Request, WireJson.Default.OriginalRequest);
        Assert.Contains("\"output_files\":{\"out_1\":\"o.mp4\"}", echoed, StringComparison.Ordinal);
        Assert.False(JsonSerializer.Deserialize(echoed, WireJson.Default.OriginalRequest)!.OutputFiles.IsFolder);
    }

    [Fact]
    public void OtherString_IsA422NamingTheField()
    {
        var e = Invalid(Parse("""{"input_files":{"in_1":"https://example.com/a.mp4"},"output_files":"FOLDER","ffmpeg_command":"-i {{in_1}} x.png"}"""));
        var detail = Assert.Single(e.Details, d => d.Field == "output_files");
        Assert.Contains("OUTPUT_FOLDER", detail.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonStringAliasValue_IsMalformedJson()
    {
        Assert.ThrowsAny<JsonException>(() => Parse("""{"output_files":{"out_1":5}}"""));
        Assert.ThrowsAny<JsonException>(() => Parse("""{"output_files":5}"""));
    }

    [Fact]
    public void OutputFolder_WithAnOutPlaceholder_ExplainsThatThereAreNoAliases()
    {
        var e = Invalid(Parse("""{"input_files":{"in_1":"https://example.com/a.mp4"},"output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i {{in_1}} {{out_1}}"}"""));
        Assert.Contains(e.Details, d => d.Message.Contains("OUTPUT_FOLDER, which has no out_ aliases", StringComparison.Ordinal));
    }

    [Fact]
    public void CompressedFolder_IsEchoed_AndInputFilesAreNotRequired()
    {
        var valid = Valid(Parse("""{"input_compressed_folder":"https://example.com/in.zip","output_files":{"out_1":"o.mp4"},"ffmpeg_command":"-i a.mp4 {{out_1}}"}"""));
        Assert.Equal("https://example.com/in.zip", valid.Request.InputCompressedFolder);
        Assert.Contains("\"input_compressed_folder\":\"https://example.com/in.zip\"", JsonSerializer.Serialize(valid.Request, WireJson.Default.OriginalRequest), StringComparison.Ordinal);
    }

    [Fact]
    public void CompressedFolder_WithInputFiles_IsRefused()
    {
        var e = Invalid(Parse("""{"input_compressed_folder":"https://example.com/in.zip","input_files":{"in_1":"https://example.com/a.mp4"},"output_files":{"out_1":"o.mp4"},"ffmpeg_command":"-i {{in_1}} {{out_1}}"}"""));
        Assert.Contains("cannot be combined with input_files", Assert.Single(e.Details, d => d.Field == "input_compressed_folder").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://example.com/in.zip", "http or https")]
    [InlineData("http://127.0.0.1/in.zip", "private or loopback")]
    public void CompressedFolder_BadUrl_IsRefused(string url, string expected)
    {
        var e = Invalid(Parse($$"""{"input_compressed_folder":"{{url}}","output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i a.mp4 b.mp4"}"""));
        Assert.Contains(expected, Assert.Single(e.Details, d => d.Field == "input_compressed_folder").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompressedFolder_WithAnInPlaceholder_ExplainsThatThereAreNoAliases()
    {
        var e = Invalid(Parse("""{"input_compressed_folder":"https://example.com/in.zip","output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i {{in_1}} b.mp4"}"""));
        Assert.Contains(e.Details, d => d.Message.Contains("input_compressed_folder, which has no in_ aliases", StringComparison.Ordinal));
    }
}
