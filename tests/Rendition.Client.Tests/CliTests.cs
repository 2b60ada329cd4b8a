using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rendition.Core.Commands;
using Rendition.Server.Cli;
using Rendition.Testing;

namespace Rendition.Client.Tests;

/// <summary>
/// The human CLI end to end: the real <c>rendition</c> root command, invoked in-process with captured output, against the
/// real server, on media made by real ffmpeg; outputs checked with ffprobe.
/// </summary>
[Collection("client")]
public sealed partial class CliTests(ClientFixture fx)
{
    [GeneratedRegex(@"Command ([0-9a-f-]{36}) submitted")]
    private static partial Regex Submitted();

    private Dictionary<string, string> Env => new()
    {
        [ClientCommands.ServerVariable] = fx.Server.BaseUrl,
        [ClientCommands.KeyVariable] = RenditionTestServer.ApiKey,
    };

    private sealed record CliResult(int Exit, string Out, string Err)
    {
        public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    private static async Task<CliResult> Cli(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // The progress display writes from its own thread.
        var syncOut = TextWriter.Synchronized(output);
        var syncErr = TextWriter.Synchronized(error);
        var root = RenditionCli.BuildRoot(CliContext.ForWriters(syncOut, syncErr, env));
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = syncOut, Error = syncErr });
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    private string NewDir() => Directory.CreateDirectory(Path.Combine(fx.MediaDir, $"cli-{Guid.NewGuid():N}")).FullName;

    [Fact]
    public async Task Run_UploadsALocalInput_ConvertsIt_AndDownloadsTheOutput_ThenStatusAndLsShowIt()
    {
        var dir = NewDir();
        var input = Path.Combine(dir, "in.mp4");
        await TestMedia.GenerateAsync(input, "-f", "lavfi", "-i", "testsrc2=s=160x120:d=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        var output = Path.Combine(dir, "out", "out.webm");

        var run = await Cli(Env, "run", "-i", input, "-o", output, "--",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", "40", "-b:v", "0", "-vf", "scale=80:60");

        Assert.True(run.Exit == 0, run.ToString());
        var id = Submitted().Match(run.Out).Groups[1].Value;
        Assert.True(Guid.TryParse(id, out _), run.ToString());
        var probe = await TestMedia.ProbeAsync(output);
        var stream = probe.GetProperty("streams")[0];
        Assert.Equal("vp9", stream.GetProperty("codec_name").GetString());
        Assert.Equal((80, 60), (stream.GetProperty("width").GetInt32(), stream.GetProperty("height").GetInt32()));
        Assert.False(File.Exists(output + ".part"));
        // The summary: which output went where, and what it is.
        Assert.Contains("out_1", run.Out, StringComparison.Ordinal);
        Assert.Contains(output, run.Out, StringComparison.Ordinal);
        Assert.Contains("80x60", run.Out, StringComparison.Ordinal);
        Assert.Contains($"Done in", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Out + run.Err);
        Assert.Empty(run.Err);

        var status = await Cli(Env, "status", id);
        Assert.True(status.Exit == 0, status.ToString());
        Assert.Contains(id, status.Out, StringComparison.Ordinal);
        Assert.Contains("SUCCESS", status.Out, StringComparison.Ordinal);
        // The command assembled around the options, and the local input sent as the server's own storage URL.
        Assert.Contains("-i {{in_1}} -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -crf 40 -b:v 0 -vf scale=80:60 {{out_1}}", status.Out, StringComparison.Ordinal);
        Assert.Matches($@"in_1\s+{Regex.Escape(fx.Server.BaseUrl)}/\S+/in\.mp4", status.Out);
        Assert.Matches($@"out_1: {Regex.Escape(fx.Server.BaseUrl)}/\S+/out\.webm", status.Out);

        var json = await Cli(Env, "status", id, "--json");
        var poll = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(id, poll.GetProperty("command_id").GetString());
        Assert.Equal("vp9", poll.GetProperty("output_files").GetProperty("out_1").GetProperty("codec").GetString());

        var ls = await Cli(Env, "ls", "--limit", "100");
        Assert.True(ls.Exit == 0, ls.ToString());
        Assert.Contains(id, ls.Out, StringComparison.Ordinal);
        Assert.Contains("out.webm", ls.Out, StringComparison.Ordinal);
        var failedOnly = await Cli(Env, "ls", "--status", "failed", "--limit", "100");
        Assert.True(failedOnly.Exit == 0, failedOnly.ToString());
        Assert.DoesNotContain(id, failedOnly.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithAUrlInput_ExplicitPlaceholders_AndTwoOutputs_PassesEveryWordThroughIntact()
    {
        var dir = NewDir();
        var video = Path.Combine(dir, "video.mp4");
        var thumb = Path.Combine(dir, "thumb.png");

        var run = await Cli(Env, "run", "-i", fx.Inputs.Url("tiny.mp4"), "-o", video, "-o", thumb, "--",
            "ffmpeg", "-i", "{{in_1}}", "-c:v", "libx264", "-preset", "ultrafast", "-metadata", "title=two words 'quoted'", "{{out_1}}",
            "-frames:v", "1", "-vf", "scale=32:24", "{{out_2}}");

        Assert.True(run.Exit == 0, run.ToString());
        var videoProbe = await TestMedia.ProbeAsync(video);
        Assert.Equal("h264", videoProbe.GetProperty("streams")[0].GetProperty("codec_name").GetString());
        Assert.Equal("two words 'quoted'", videoProbe.GetProperty("format").GetProperty("tags").GetProperty("title").GetString());
        var thumbProbe = (await TestMedia.ProbeAsync(thumb)).GetProperty("streams")[0];
        Assert.Equal("png", thumbProbe.GetProperty("codec_name").GetString());
        Assert.Equal(32, thumbProbe.GetProperty("width").GetInt32());
        Assert.Contains("out_2", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OfAFailingCommand_ExitsOne_PrintingTheErrorCodeAndMessage_AndLogsShowsFfmpegsOutput()
    {
        var output = Path.Combine(NewDir(), "bad.mp4");

        var run = await Cli(Env, "run", "-o", output, "--", "-f", "lavfi", "-i", ClientFixture.TinySource, "-c:v", "no_such_encoder");

        Assert.True(run.Exit == ClientCommands.Failed, run.ToString());
        Assert.Contains("FFMPEG_ERROR", run.Err, StringComparison.Ordinal);
        Assert.Contains("no_such_encoder", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(output));

        var id = Submitted().Match(run.Out).Groups[1].Value;
        var logs = await Cli(Env, "logs", id);
        Assert.True(logs.Exit == 0, logs.ToString());
        Assert.Contains("no_such_encoder", logs.Out, StringComparison.Ordinal);
        var failed = await Cli(Env, "ls", "--status", "FAILED", "--limit", "100");
        Assert.Contains(id, failed.Out, StringComparison.Ordinal);
        Assert.Contains("FFMPEG_ERROR", failed.Out, StringComparison.Ordinal);

        // Cancelling a finished command is the server's 409, reported as such.
        var cancel = await Cli(Env, "cancel", id);
        Assert.Equal(ClientCommands.Failed, cancel.Exit);
        Assert.Contains("CONFLICT", cancel.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAKey_EveryClientCommand_SaysHowToGiveOne_AndExitsTwo()
    {
        var env = new Dictionary<string, string> { [ClientCommands.ServerVariable] = fx.Server.BaseUrl };
        foreach (var args in new[] { new[] { "run", "-o", Path.Combine(NewDir(), "x.mp4"), "--", "-f", "lavfi", "-i", ClientFixture.TinySource }, ["status", Guid.NewGuid().ToString()], ["ls"] })
        {
            var result = await Cli(env, args);
            Assert.True(result.Exit == ClientCommands.Usage, result.ToString());
            Assert.Contains("no API key", result.Err, StringComparison.Ordinal);
            Assert.Contains("--key", result.Err, StringComparison.Ordinal);
            Assert.Contains(ClientCommands.KeyVariable, result.Err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        }
        // --key on the command line is enough.
        var withFlag = await Cli(env, "ls", "--key", RenditionTestServer.ApiKey);
        Assert.True(withFlag.Exit == 0, withFlag.ToString());
    }

    [Fact]
    public async Task AWrongKey_AnUnreachableServer_AndAnUnknownCommand_AreOneClearLineEach()
    {
        var wrongKey = await Cli(Env, "ls", "--key", "ffsk_not_a_key");
        Assert.True(wrongKey.Exit == ClientCommands.Failed, wrongKey.ToString());
        Assert.Contains("refused the API key", wrongKey.Err, StringComparison.Ordinal);

        var nowhere = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var unreachable = await Cli(Env, "ls", "--server", nowhere);
        Assert.True(unreachable.Exit == ClientCommands.Unreachable, unreachable.ToString());
        Assert.Contains($"cannot reach the server at {nowhere}", unreachable.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreachable.Err, StringComparison.Ordinal);

        var notUrl = await Cli(Env, "ls", "--server", "localhost:8080");
        Assert.True(notUrl.Exit == ClientCommands.Usage, notUrl.ToString());

        var unknown = await Cli(Env, "status", Guid.NewGuid().ToString());
        Assert.True(unknown.Exit == ClientCommands.Failed, unknown.ToString());
        Assert.Contains("NOT_FOUND", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ChecksLocalMistakes_BeforeSendingAnything()
    {
        var dir = NewDir();
        var existing = Path.Combine(dir, "exists.mp4");
        await File.WriteAllTextAsync(existing, "keep me");
        var client = fx.NewClient();
        var newest = (await client.ListAsync(limit: 1)).Commands.FirstOrDefault()?.CommandId;

        var missingInput = await Cli(Env, "run", "-i", Path.Combine(dir, "nope.mp4"), "-o", Path.Combine(dir, "o.mp4"));
        var noOutput = await Cli(Env, "run", "-i", fx.Inputs.Url("tiny.mp4"));
        var exists = await Cli(Env, "run", "-i", fx.Inputs.Url("tiny.mp4"), "-o", existing);
        var sameName = await Cli(Env, "run", "-i", fx.Inputs.Url("tiny.mp4"), "-o", Path.Combine(dir, "a", "x.mp4"), "-o", Path.Combine(dir, "b", "x.mp4"));
        var badStatus = await Cli(Env, "ls", "--status", "DONE");

        Assert.All(new[] { missingInput, noOutput, exists, sameName, badStatus }, r => Assert.True(r.Exit == ClientCommands.Usage, r.ToString()));
        Assert.Contains("nope.mp4", missingInput.Err, StringComparison.Ordinal);
        Assert.Contains("-o FILE", noOutput.Err, StringComparison.Ordinal);
        Assert.Contains("-y", exists.Err, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
        Assert.Contains("x.mp4", sameName.Err, StringComparison.Ordinal);
        // Nothing was submitted.
        Assert.Equal(newest, (await client.ListAsync(limit: 1)).Commands.FirstOrDefault()?.CommandId);

        // -y replaces it.
        var replaced = await Cli(Env, "run", "-y", "-i", fx.Inputs.Url("tiny.mp4"), "-o", existing, "--", "-c", "copy");
        Assert.True(replaced.Exit == 0, replaced.ToString());
        Assert.Equal("h264", (await TestMedia.ProbeAsync(existing)).GetProperty("streams")[0].GetProperty("codec_name").GetString());
    }

    [Fact]
    public async Task ThePublishedBinary_RunsTheClientCommands_FromTheEnvironment_WithPlainProgressWhenStdoutIsNotATerminal()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "rendition.dll");
        var output = Path.Combine(NewDir(), "paced.mp4");
        var env = new Dictionary<string, string>(Env);

        // Paced at real time for about 3 s, so the progress display has something to show while stdout is a pipe.
        var run = await TestMedia.RunAsync("dotnet", [dll, "run", "-o", output, "--",
            "-re", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=60", "-t", "3", "-c:v", "libx264", "-preset", "ultrafast"], env);

        var text = $"exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}";
        Assert.True(run.ExitCode == 0, text);
        Assert.Equal("h264", (await TestMedia.ProbeAsync(output)).GetProperty("streams")[0].GetProperty("codec_name").GetString());
        Assert.Matches(@"Encoding [\d.]+ s.*: \d+%", run.Stdout);
        Assert.Contains("Done in", run.Stdout, StringComparison.Ordinal);
        // No colours, no cursor movement, no redrawn lines: a log file stays readable.
        Assert.DoesNotContain('\u001b', run.Stdout);
        Assert.DoesNotContain('\r', run.Stdout);

        env[ClientCommands.KeyVariable] = "";
        var noKey = await TestMedia.RunAsync("dotnet", [dll, "ls"], env);
        Assert.Equal(ClientCommands.Usage, noKey.ExitCode);
        Assert.StartsWith("rendition: no API key", noKey.Stderr, StringComparison.Ordinal);
        Assert.Empty(noKey.Stdout);
    }

    [Fact]
    public void FfmpegCommandLine_PutsInputsFirstAndOutputsLast_UnlessPlaced_AndQuotesWordsTheServerWouldSplit()
    {
        Assert.Equal("-i {{in_1}} -i {{in_2}} -c:v libx264 {{out_1}} {{out_2}}", FfmpegCommandLine.Build(["-c:v", "libx264"], 2, 2));
        Assert.Equal("{{out_1}}", FfmpegCommandLine.Build([], 0, 1));
        // Placed inputs: nothing is added in front; outputs are still appended, and the other way round.
        Assert.Equal("-ss 1 -i {{in_1}} -t 2 {{out_1}}", FfmpegCommandLine.Build(["-ss", "1", "-i", "{{in_1}}", "-t", "2"], 1, 1));
        Assert.Equal("-i {{in_1}} -c copy {{out_1}} -an '{{ out_2 }}'", FfmpegCommandLine.Build(["-c", "copy", "{{out_1}}", "-an", "{{ out_2 }}"], 1, 2));
        Assert.Equal("-i {{in_1}} {{out_1}}", FfmpegCommandLine.Build(["ffmpeg"], 1, 1));

        string[] tricky = ["-vf", "drawtext=text='it is':x=1", "a b", "", "back\\slash", "\"dq\"", "-filter_complex", "[0:v]split[a][b]"];
        var command = FfmpegCommandLine.Build(tricky, 0, 0);
        Assert.Equal(tricky, CommandTokenizer.Tokenize(command));
    }
}
