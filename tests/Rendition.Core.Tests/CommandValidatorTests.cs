using System.Text.Json;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;

namespace Rendition.Core.Tests;

public class CommandValidatorTests
{
    private static RenditionOptions Options(bool allowPrivateUrls = false) =>
        new() { AllowPrivateUrls = allowPrivateUrls, MaxCommandRunSeconds = 3600 };

    private static SubmitCommandRequest QuickStart() => new()
    {
        InputFiles = new() { ["in_video"] = "https://storage.example.com/sample.mp4" },
        OutputFiles = new() { ["out_video"] = "output.mp4" },
        FfmpegCommand = "-i {{in_video}} -vf scale=1280:720 -c:a copy {{out_video}}",
    };

    private static ValidatedCommand Valid(SubmitCommandRequest request, ApiFlavor flavor = ApiFlavor.RenderIO, bool allowPrivateUrls = false) =>
        new CommandValidator(Options(allowPrivateUrls)).Validate(request, flavor);

    private static RequestValidationException Invalid(SubmitCommandRequest request, ApiFlavor flavor = ApiFlavor.RenderIO, bool allowPrivateUrls = false) =>
        Assert.Throws<RequestValidationException>(() => new CommandValidator(Options(allowPrivateUrls)).Validate(request, flavor));

    private static void AssertField(RequestValidationException e, string field) =>
        Assert.Contains(e.Details, d => d.Field == field);

    [Fact]
    public void Validate_AcceptsRenderIoQuickStartAndEchoesOriginalRequest()
    {
        var request = QuickStart();

        var result = Valid(request);

        Assert.Equal(request.FfmpegCommand, result.Request.FfmpegCommand);
        Assert.Equal("https://storage.example.com/sample.mp4", Assert.Single(result.Request.InputFiles, kv => kv.Key == "in_video").Value);
        Assert.Equal("output.mp4", Assert.Single(result.Request.OutputFiles, kv => kv.Key == "out_video").Value);
        Assert.Null(result.Request.FfmpegCommands);
        Assert.Null(result.MetadataJson);
        Assert.Null(result.WebhookUrl);
    }

    [Fact]
    public void Validate_RenderIoOmitsRunSecondsAndVcpuWhenNotSent()
    {
        var result = Valid(QuickStart(), ApiFlavor.RenderIO);

        Assert.Null(result.Request.MaxCommandRunSeconds);
        Assert.Null(result.Request.VcpuCount);
        Assert.Equal(300, result.MaxSeconds);
        Assert.Equal(Environment.ProcessorCount, result.VcpuCount);
    }

    [Fact]
    public void Validate_RenderIoEchoesRunSecondsAndVcpuWhenSent()
    {
        var request = QuickStart();
        request.MaxCommandRunSeconds = 120;
        request.VcpuCount = 1;

        var result = Valid(request, ApiFlavor.RenderIO);

        Assert.Equal(120, result.Request.MaxCommandRunSeconds);
        Assert.Equal(1, result.Request.VcpuCount);
        Assert.Equal(120, result.MaxSeconds);
        Assert.Equal(1, result.VcpuCount);
    }

    [Fact]
    public void Validate_RendiAlwaysEchoesRunSecondsAndVcpu()
    {
        var result = Valid(QuickStart(), ApiFlavor.Rendi);

        Assert.Equal(300, result.Request.MaxCommandRunSeconds);
        Assert.Equal(Environment.ProcessorCount, result.Request.VcpuCount);
    }

    [Fact]
    public void Validate_SerializedRenderIoOriginalRequestHasNoRunSecondsOrVcpu()
    {
        var json = JsonSerializer.Serialize(Valid(QuickStart()).Request, WireJson.Default.OriginalRequest);

        Assert.DoesNotContain("max_command_run_seconds", json, StringComparison.Ordinal);
        Assert.DoesNotContain("vcpu_count", json, StringComparison.Ordinal);
        Assert.Contains("\"ffmpeg_command\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsRendiExampleWithTwoOutputs()
    {
        var request = new SubmitCommandRequest
        {
            InputFiles = new() { ["in_1"] = "https://storage.example.com/big_buck_bunny_720p_16sec.mp4" },
            OutputFiles = new() { ["out_1"] = "output_one.mp4", ["out_2"] = "output_two.mp4" },
            FfmpegCommand = CommandTokenizerTests.RendiExampleCommand,
        };

        var result = Valid(request, ApiFlavor.Rendi);

        Assert.Equal(2, result.Request.OutputFiles.Count);
    }

    [Fact]
    public void Validate_AllowsLeadingFfmpegWord()
    {
        var request = QuickStart();
        request.FfmpegCommand = "ffmpeg " + request.FfmpegCommand;

        var result = Valid(request);

        Assert.StartsWith("ffmpeg ", result.Request.FfmpegCommand, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RefusesCommandThatIsOnlyTheFfmpegWord()
    {
        var request = QuickStart();
        request.FfmpegCommand = "ffmpeg";

        AssertField(Invalid(request), "ffmpeg_command");
    }

    [Theory]
    [InlineData("video")]
    [InlineData("input_1")]
    [InlineData("out_1")]
    public void Validate_RefusesInputAliasWithoutInPrefix(string alias)
    {
        var request = QuickStart();
        request.InputFiles = new() { [alias] = "https://storage.example.com/a.mp4" };
        request.FfmpegCommand = $"-i {{{{{alias}}}}} {{{{out_video}}}}";

        AssertField(Invalid(request), $"input_files.{alias}");
    }

    [Fact]
    public void Validate_RefusesOutputAliasWithoutOutPrefix()
    {
        var request = QuickStart();
        request.OutputFiles = new() { ["result"] = "output.mp4" };
        request.FfmpegCommand = "-i {{in_video}} {{result}}";

        AssertField(Invalid(request), "output_files.result");
    }

    [Fact]
    public void Validate_RefusesAliasContainingDash()
    {
        var request = QuickStart();
        request.InputFiles = new() { ["in_my-video"] = "https://storage.example.com/a.mp4" };
        request.FfmpegCommand = "-i {{in_my-video}} {{out_video}}";

        AssertField(Invalid(request), "input_files.in_my-video");
    }

    [Fact]
    public void Validate_RefusesUndeclaredPlaceholder()
    {
        var request = QuickStart();
        request.FfmpegCommand = "-i {{in_video}} -i {{in_other}} {{out_video}}";

        var e = Invalid(request);

        Assert.Contains(e.Details, d => d.Field == "ffmpeg_command" && d.Message.Contains("in_other", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RefusesDeclaredButUnusedInput()
    {
        var request = QuickStart();
        request.InputFiles!["in_unused"] = "https://storage.example.com/b.mp4";

        var e = Invalid(request);

        AssertField(e, "input_files.in_unused");
        Assert.DoesNotContain(e.Details, d => d.Field == "input_files.in_video");
    }

    [Fact]
    public void Validate_RefusesDeclaredButUnusedOutput()
    {
        var request = QuickStart();
        request.OutputFiles!["out_thumb"] = "thumb.jpg";

        AssertField(Invalid(request), "output_files.out_thumb");
    }

    [Fact]
    public void Validate_RefusesMoreThanTenMetadataKeys()
    {
        var request = QuickStart();
        request.Metadata = Enumerable.Range(0, 11).ToDictionary(
            i => "k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), i => JsonSerializer.SerializeToElement(i));

        AssertField(Invalid(request), "metadata");
    }

    [Fact]
    public void Validate_AcceptsTenMetadataKeysAndSerializesThem()
    {
        var request = QuickStart();
        request.Metadata = Enumerable.Range(0, 10).ToDictionary(
            i => "k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), i => JsonSerializer.SerializeToElement(i));

        var result = Valid(request);

        Assert.NotNull(result.MetadataJson);
        using var doc = JsonDocument.Parse(result.MetadataJson);
        Assert.Equal(9, doc.RootElement.GetProperty("k9").GetInt32());
    }

    [Theory]
    [InlineData("ftp://storage.example.com/a.mp4")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/relative/a.mp4")]
    [InlineData("https://user:pass@storage.example.com/a.mp4")]
    [InlineData("")]
    public void Validate_RefusesNonHttpInputUrl(string url)
    {
        var request = QuickStart();
        request.InputFiles!["in_video"] = url;

        AssertField(Invalid(request), "input_files.in_video");
    }

    [Fact]
    public void Validate_RefusesNullInputUrl()
    {
        var request = QuickStart();
        request.InputFiles!["in_video"] = null;

        AssertField(Invalid(request), "input_files.in_video");
    }

    [Theory]
    [InlineData("http://127.0.0.1/x.mp4")]
    [InlineData("http://localhost/x.mp4")]
    [InlineData("http://LOCALHOST./x.mp4")]
    [InlineData("http://api.localhost/x.mp4")]
    [InlineData("http://10.0.0.5/x.mp4")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/x.mp4")]
    [InlineData("http://[::ffff:127.0.0.1]/x.mp4")]
    [InlineData("http://2130706433/x.mp4")]
    [InlineData("http://0x7f.1/x.mp4")]
    public void Validate_RefusesPrivateInputUrlByDefault(string url)
    {
        var request = QuickStart();
        request.InputFiles!["in_video"] = url;

        var e = Invalid(request);

        Assert.Contains(e.Details, d => d.Field == "input_files.in_video" && d.Message.Contains("private", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1/x.mp4")]
    [InlineData("http://localhost/x.mp4")]
    public void Validate_AcceptsPrivateInputUrlWhenAllowed(string url)
    {
        var request = QuickStart();
        request.InputFiles!["in_video"] = url;

        var result = Valid(request, allowPrivateUrls: true);

        Assert.Equal(url, result.Request.InputFiles["in_video"]);
    }

    [Fact]
    public void Validate_AcceptsOwnStorageUrlEvenThoughItIsLocalhost()
    {
        var request = QuickStart();
        request.InputFiles!["in_video"] = "http://localhost:8080/storage/abc/output.mp4";

        Assert.NotNull(Valid(request));
    }

    [Fact]
    public void Validate_RefusesPrivateWebhookUrlByDefault()
    {
        var request = QuickStart();
        request.WebhookUrl = "http://127.0.0.1:9000/hook";

        AssertField(Invalid(request), "webhook_url");
    }

    [Fact]
    public void Validate_ReturnsPublicWebhookUrl()
    {
        var request = QuickStart();
        request.WebhookUrl = "https://hooks.example.com/rendition";

        Assert.Equal("https://hooks.example.com/rendition", Valid(request).WebhookUrl);
    }

    [Theory]
    [InlineData("../x.mp4")]
    [InlineData("a/b.mp4")]
    [InlineData("a\\b.mp4")]
    [InlineData("/x.mp4")]
    [InlineData(".hidden")]
    [InlineData("-x.mp4")]
    [InlineData("out put.mp4")]
    [InlineData("out.mp4\n")]
    [InlineData("")]
    public void Validate_RefusesOutputFileNameThatIsNotPlain(string name)
    {
        var request = QuickStart();
        request.OutputFiles!["out_video"] = name;

        AssertField(Invalid(request), "output_files.out_video");
    }

    [Fact]
    public void Validate_RefusesOutputFileNameLongerThan255()
    {
        var request = QuickStart();
        request.OutputFiles!["out_video"] = new string('a', 252) + ".mp4";

        AssertField(Invalid(request), "output_files.out_video");
    }

    [Theory]
    [InlineData("out.mp4", "out.mp4")]
    [InlineData("out.mp4", "OUT.mp4")]
    public void Validate_RefusesDuplicateOutputFileNames(string first, string second)
    {
        var request = QuickStart();
        request.OutputFiles = new() { ["out_a"] = first, ["out_b"] = second };
        request.FfmpegCommand = "-i {{in_video}} {{out_a}} {{out_b}}";

        var e = Invalid(request);

        AssertField(e, "output_files.out_b");
        Assert.DoesNotContain(e.Details, d => d.Field == "output_files.out_a");
    }

    [Fact]
    public void Validate_RefusesMissingOutputFiles()
    {
        var request = QuickStart();
        request.OutputFiles = [];

        AssertField(Invalid(request), "output_files");
    }

    [Fact]
    public void Validate_RefusesMissingInputFiles()
    {
        var request = QuickStart();
        request.InputFiles = null;

        AssertField(Invalid(request), "input_files");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_RefusesMissingFfmpegCommand(string? command)
    {
        var request = QuickStart();
        request.FfmpegCommand = command;

        AssertField(Invalid(request), "ffmpeg_command");
    }

    [Fact]
    public void Validate_RefusesUnparseableCommandWithoutReportingUnusedAliases()
    {
        var request = QuickStart();
        request.FfmpegCommand = "-i {{in_video}} -vf \"scale=1280:720 {{out_video}}";

        var e = Invalid(request);

        Assert.Contains(e.Details, d => d.Field == "ffmpeg_command" && d.Message.Contains("cannot be parsed", StringComparison.Ordinal));
        Assert.DoesNotContain(e.Details, d => d.Field.StartsWith("input_files", StringComparison.Ordinal) || d.Field.StartsWith("output_files", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RefusesCommandLongerThanLimit()
    {
        var request = QuickStart();
        request.FfmpegCommand += " -metadata title=" + new string('x', CommandValidator.MaxCommandLength);

        AssertField(Invalid(request), "ffmpeg_command");
    }

    [Theory]
    [InlineData("-i {{in_video}} -i /etc/passwd {{out_video}}")]
    [InlineData("-i {{in_video}} -vf movie=/etc/passwd {{out_video}}")]
    [InlineData("-i {{in_video}} -protocol_whitelist file,http {{out_video}}")]
    [InlineData("-i {{in_video}} -i http://evil.example/x.mp4 {{out_video}}")]
    [InlineData("-i {{in_video}} {{out_video}} ../escape.mp4")]
    public void Validate_RefusesCommandThatBreaksPolicy(string command)
    {
        var request = QuickStart();
        request.FfmpegCommand = command;

        AssertField(Invalid(request), "ffmpeg_command");
    }

    [Fact]
    public void Validate_RefusesNestedSchemeProtocolInFilterGraph()
    {
        // libavformat opens "hls+http:host:port/path" with the hls protocol, which fetches the nested http URL
        // with no protocol whitelist (the movie filter does not inherit the one put before -i).
        var request = QuickStart();
        request.FfmpegCommand =
            "-i {{in_video}} -filter_complex \"movie='hls+http\\:169.254.169.254\\:80/latest/meta-data'[m];[0:v][m]overlay\" {{out_video}}";

        AssertField(Invalid(request), "ffmpeg_command");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3601)]
    [InlineData(99999)]
    public void Validate_RefusesRunSecondsOutOfRange(int seconds)
    {
        var request = QuickStart();
        request.MaxCommandRunSeconds = seconds;

        AssertField(Invalid(request), "max_command_run_seconds");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3600)]
    public void Validate_AcceptsRunSecondsAtBounds(int seconds)
    {
        var request = QuickStart();
        request.MaxCommandRunSeconds = seconds;

        Assert.Equal(seconds, Valid(request).MaxSeconds);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_RefusesVcpuCountBelowOne(int vcpu)
    {
        var request = QuickStart();
        request.VcpuCount = vcpu;

        AssertField(Invalid(request), "vcpu_count");
    }

    [Fact]
    public void Validate_ClampsLargeVcpuCountToProcessorCount()
    {
        var request = QuickStart();
        request.VcpuCount = 64;

        var result = Valid(request, ApiFlavor.Rendi);

        Assert.Equal(Math.Min(64, Environment.ProcessorCount), result.VcpuCount);
        Assert.Equal(64, result.Request.VcpuCount);
    }

    [Fact]
    public void Validate_ReportsEveryProblemAtOnce()
    {
        var request = new SubmitCommandRequest
        {
            InputFiles = new() { ["video"] = "https://storage.example.com/a.mp4" },
            OutputFiles = new() { ["out_1"] = "../x.mp4" },
            FfmpegCommand = "-i {{video}} {{out_1}}",
            MaxCommandRunSeconds = 0,
            VcpuCount = 0,
        };

        var e = Invalid(request);

        AssertField(e, "input_files.video");
        AssertField(e, "output_files.out_1");
        AssertField(e, "max_command_run_seconds");
        AssertField(e, "vcpu_count");
    }
}
