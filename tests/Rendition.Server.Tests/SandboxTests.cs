using System.Net;
using System.Net.Sockets;
using Rendition.Core;
using Rendition.Execution;
using Rendition.Server.Tests.Infrastructure;

namespace Rendition.Server.Tests;

/// <summary>
/// The OS sandbox on its own: hostile argv that the command policy would refuse is run straight through the runner,
/// and the sandbox alone must keep it inside its job directory, off the network, unprivileged.
/// </summary>
[Collection("server")]
public sealed class SandboxTests : IDisposable
{
    private readonly string _outside = Directory.CreateTempSubdirectory("rendition-outside-").FullName;
    private readonly string _job = Directory.CreateTempSubdirectory("rendition-job-").FullName;
    private readonly FfmpegTools _tools;
    private readonly ISandbox _sandbox;

    public SandboxTests()
    {
        _sandbox = BubblewrapSandbox.TryCreate(out var problem) ?? throw new InvalidOperationException($"bubblewrap must work for these tests: {problem}");
        _tools = new FfmpegTools(new RenditionOptions(), _sandbox);
    }

    public void Dispose()
    {
        Directory.Delete(_outside, recursive: true);
        Directory.Delete(_job, recursive: true);
    }

    private Task<ProcessResult> Ffmpeg(params string[] tokens) =>
        _tools.RunFfmpegAsync(tokens, _job, 1, TimeSpan.FromSeconds(30), new HashSet<string>(), null, CancellationToken.None);

    private Task<ProcessResult> Shell(string script) =>
        ProcessRunner.RunAsync(_sandbox.Wrap("/bin/sh", ["-c", script], _job, []), _job, TimeSpan.FromSeconds(30), new ProcessWatch { CaptureStdout = true }, CancellationToken.None);

    private async Task<string> CanaryAsync()
    {
        var canary = Path.Combine(_outside, "secret.mp4");
        await TestMedia.GenerateAsync(canary, "-f", "lavfi", "-i", "testsrc2=s=32x32:d=1", "-c:v", "libx264", "-preset", "ultrafast");
        return canary;
    }

    [Fact]
    public async Task AbsoluteInputOutsideTheJob_IsInvisible()
    {
        var canary = await CanaryAsync();
        var result = await Ffmpeg("-i", canary, "-c", "copy", "stolen.mp4");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No such file or directory", result.StandardErrorTail, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_job, "stolen.mp4")));
    }

    [Fact]
    public async Task MovieFilterReadingOutsideTheJob_IsInvisible()
    {
        var canary = await CanaryAsync();
        var result = await Ffmpeg("-f", "lavfi", "-i", $"movie={canary}", "-t", "1", "stolen.mp4");
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(Path.Combine(_job, "stolen.mp4")) && new FileInfo(Path.Combine(_job, "stolen.mp4")).Length > 0);
    }

    [Fact]
    public async Task OutputOutsideTheJob_IsNotWritten()
    {
        var target = Path.Combine(_outside, "escape.mp4");
        var result = await Ffmpeg("-f", "lavfi", "-i", "testsrc2=s=32x32:d=1", target);
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task NetworkFromAFilter_NeverReachesALoopbackListener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        // The movie filter is not covered by -protocol_whitelist: only the sandbox's empty network namespace stops this.
        var result = await Ffmpeg("-f", "lavfi", "-i", $"movie=http\\\\://127.0.0.1\\\\:{port}/x.mp4", "-t", "1", "net.mp4");
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(listener.Pending(), "the sandboxed ffmpeg connected to a loopback listener");
    }

    [Fact]
    public async Task ShellInTheSandbox_RunsAsNobody_WithoutCapabilities_EnvironmentOrNetwork()
    {
        Environment.SetEnvironmentVariable("RENDITION_TEST_SECRET", "do-not-leak");
        var result = await Shell("id -u; grep CapEff /proc/self/status; env; cat /proc/net/dev | wc -l; ls /");
        Assert.Equal(0, result.ExitCode);
        var lines = result.StandardOutput.Split('\n');
        Assert.Equal("65534", lines[0]);
        Assert.Contains("CapEff:\t0000000000000000", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("RENDITION_TEST_SECRET", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("home", lines, StringComparer.Ordinal);
        Assert.DoesNotContain("root", lines, StringComparer.Ordinal);
        Assert.DoesNotContain("work", lines, StringComparer.Ordinal);
    }

    [Fact]
    public async Task InputsAreReadOnly_InsideTheSandbox()
    {
        await File.WriteAllTextAsync(Path.Combine(_job, "in_v.mp4"), "original");
        var result = await ProcessRunner.RunAsync(_sandbox.Wrap("/bin/sh", ["-c", "echo changed > in_v.mp4"], _job, ["in_v.mp4"]),
            _job, TimeSpan.FromSeconds(30), new ProcessWatch { CaptureStdout = true }, CancellationToken.None);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("original", await File.ReadAllTextAsync(Path.Combine(_job, "in_v.mp4")));
    }

    [Fact]
    public async Task PlantedLinksAndFifos_AreNotRegularFiles_SoNeverCollectedAsOutputs()
    {
        var result = await Shell("ln -s /etc/passwd link.mp4; mkfifo fifo.mp4; echo data > real.mp4");
        Assert.Equal(0, result.ExitCode);
        Assert.False(FileKinds.IsRegularFile(Path.Combine(_job, "link.mp4")));
        Assert.False(FileKinds.IsRegularFile(Path.Combine(_job, "fifo.mp4")));
        Assert.False(FileKinds.IsRegularFile(Path.Combine(_job, "missing.mp4")));
        Assert.True(FileKinds.IsRegularFile(Path.Combine(_job, "real.mp4")));
    }
}
