using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class JobFailureTests(ServerFixture fx)
{
    private async Task<(string Status, string Message)> RunToFailureAsync(object body)
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(body));
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.NotNull(poll["total_processing_seconds"]);
        return (poll["error_status"]!.GetValue<string>(), poll["error_message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Input_ThatAnswers404_FailsWithUnreachableInputFile_NamingAliasAndStatus()
    {
        var (status, message) = await RunToFailureAsync(new
        {
            input_files = new { in_video = fx.Inputs.Url("missing.mp4") },
            output_files = new { out_video = "o.mp4" },
            ffmpeg_command = "-i {{in_video}} {{out_video}}",
        });
        Assert.Equal("UNREACHABLE_INPUT_FILE", status);
        Assert.Contains("in_video", message, StringComparison.Ordinal);
        Assert.Contains("404", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_OnAClosedPort_FailsWithUnreachableInputFile()
    {
        var (status, message) = await RunToFailureAsync(new
        {
            input_files = new { in_a = $"http://127.0.0.1:{LoopbackPort.Free()}/a.mp4" },
            output_files = new { out_video = "o.mp4" },
            ffmpeg_command = "-i {{in_a}} {{out_video}}",
        });
        Assert.Equal("UNREACHABLE_INPUT_FILE", status);
        Assert.Contains("in_a", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidCodec_FailsWithFfmpegError_CarryingFfmpegsOwnMessage()
    {
        var (status, message) = await RunToFailureAsync(new
        {
            input_files = new { in_video = fx.Inputs.Url("small.mp4") },
            output_files = new { out_video = "converted.webm" },
            ffmpeg_command = "ffmpeg -i {{in_video}} -c:v invalid_codec {{out_video}}",
        });
        Assert.Equal("FFMPEG_ERROR", status);
        Assert.Contains("invalid_codec", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongCommand_IsStoppedAtMaxCommandRunSeconds_WithTimeout()
    {
        var started = DateTime.UtcNow;
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "long.mp4" },
            ffmpeg_command = "-re -f lavfi -i testsrc2=s=64x64:r=10:d=60 -c:v libx264 -preset ultrafast {{out_v}}",
            max_command_run_seconds = 2,
        }));
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("TIMEOUT", poll["error_status"]!.GetValue<string>());
        Assert.Contains("2 s", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.InRange(poll["ffmpeg_command_run_seconds"]!.GetValue<double>(), 1.9, 10);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
        Assert.Empty(poll["output_files"]!.AsObject());
    }

    [Fact]
    public async Task CommandThatDoesNotWriteADeclaredOutput_FailsWithOutputMissing()
    {
        var (status, message) = await RunToFailureAsync(new
        {
            input_files = new { in_video = fx.Inputs.Url("small.mp4") },
            output_files = new { out_video = "never.mp4" },
            ffmpeg_command = "-i {{in_video}} -f null {{out_video}}",
        });
        Assert.Equal("OUTPUT_MISSING", status);
        Assert.Contains("out_video", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobDirectory_IsRemovedAfterTheJob()
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_video = fx.Inputs.Url("small.mp4") },
            output_files = new { out_video = "cleanup.mp4" },
            ffmpeg_command = "-i {{in_video}} -c copy intermediate.mp4 -c copy {{out_video}}",
        }));
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        var work = Path.Combine(fx.Server.DataDir, "work");
        Assert.Empty(Directory.EnumerateDirectories(work, Guid.Parse(poll["command_id"]!.GetValue<string>()).ToString("N") + "*"));
    }
}
