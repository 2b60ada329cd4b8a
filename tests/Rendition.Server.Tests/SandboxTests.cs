using System.Net;
using System.Net.Sockets;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Execution;
using Rendition.Testing;

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
        _tools.RunArgumentsAsync([.. FfmpegInvocation.Prelude(FfmpegInvocation.RunLogLevel), .. tokens], _job, 1, TimeSpan.FromSeconds(30), new HashSet<string>(), null, CancellationToken.None);

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

    /// <summary>The same sandbox without the seccomp filter: what the filter adds is what differs between the two.</summary>
    private BubblewrapSandbox Unfiltered => new(((BubblewrapSandbox)_sandbox).BwrapPath, seccompFilter: null);

    private async Task<string> ShellIn(ISandbox sandbox, string script)
    {
        var result = await ProcessRunner.RunAsync(sandbox.Wrap("/bin/sh", ["-c", script], _job, []), _job, TimeSpan.FromSeconds(30),
            new ProcessWatch { CaptureStdout = true, StderrChars = 2000 }, CancellationToken.None);
        return (result.StandardOutput + result.StandardErrorTail).Trim();
    }

    /// <summary>
    /// One system call, made by perl (in every Debian install) with raw numbers, so no compiler is needed: "ok", or the
    /// errno it failed with. A clone's child execs true at once.
    /// </summary>
    private Task<string> Syscall(ISandbox sandbox, string name, params long[] args)
    {
        var nr = SeccompProfile.SyscallNumber(name) ?? throw new InvalidOperationException($"{name} has no number here");
        var script = "my ($fork, $nr, @a) = map { $_ + 0 } @ARGV; my $r = syscall($nr, @a); "
            + "if ($fork && $r == 0) { exec '/bin/true' } waitpid($r, 0) if $fork && $r > 0; print $r < 0 ? 'errno=' . ($! + 0) : 'ok'";
        var fork = name == "clone" ? 1 : 0;
        return ShellIn(sandbox, $"perl -e \"{script.Replace("$", "\\$", StringComparison.Ordinal)}\" {fork} {nr} {string.Join(' ', args)}");
    }

    public static TheoryData<string, long[]> DeniedCalls => new()
    {
        // unshare(CLONE_NEWUSER): any process may make a user namespace, in which it holds every capability.
        { "unshare", [0x10000000] },
        // clone(CLONE_NEWUSER | SIGCHLD): the same through clone's flags (the filter reads them).
        { "clone", [0x10000000 | 17, 0, 0, 0, 0] },
        // ptrace(PTRACE_TRACEME): the door to debugging another process.
        { "ptrace", [0, 0, 0, 0] },
        // personality(ADDR_NO_RANDOMIZE): switches off ASLR.
        { "personality", [0x0040000] },
        // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, create): the kernel keyring.
        { "keyctl", [0, -2, 1] },
    };

    /// <summary>Calls any process may make: inside the sandbox they work without the filter and fail with EPERM with it.</summary>
    [Theory]
    [MemberData(nameof(DeniedCalls))]
    public async Task Seccomp_DeniesWhatWorksWithoutIt(string call, long[] args)
    {
        Assert.Equal("ok", await Syscall(Unfiltered, call, args));
        Assert.Equal($"errno={SeccompProfile.EPERM}", await Syscall(_sandbox, call, args));
    }

    [Fact]
    public async Task Seccomp_RefusesUnshareFromUtilLinux_WhichWorksWithoutIt()
    {
        Assert.Equal("in a new user namespace", await ShellIn(Unfiltered, "unshare -U echo in a new user namespace"));
        var refused = await ShellIn(_sandbox, "unshare -U echo in a new user namespace");
        Assert.Contains("Operation not permitted", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("in a new user namespace", refused, StringComparison.Ordinal);
    }

    /// <summary>
    /// The rest of the profile, with arguments the kernel would reject on its own: without the filter these reach the
    /// kernel (here EINVAL, EFAULT, ENOSYS, or EPERM for want of a capability, depending on its settings); with it, the
    /// filter answers EPERM before the kernel code runs.
    /// </summary>
    [Theory]
    [InlineData("bpf", new long[] { 0, 0, 0 })]
    [InlineData("userfaultfd", new long[] { 1 })]
    [InlineData("perf_event_open", new long[] { 0, 0, -1, -1, 0 })]
    [InlineData("mount", new long[] { 0, 0, 0, 0, 0 })]
    [InlineData("setns", new long[] { 0, 0 })]
    [InlineData("kexec_load", new long[] { 0, 0, 0, 0 })]
    [InlineData("init_module", new long[] { 0, 0, 0 })]
    [InlineData("reboot", new long[] { 0, 0, 0, 0 })]
    [InlineData("io_uring_setup", new long[] { 1, 0 })]
    [InlineData("open_by_handle_at", new long[] { 0, 0, 0 })]
    [InlineData("add_key", new long[] { 0, 0, 0, 0, 0 })]
    public async Task Seccomp_DeniesTheRestOfTheProfileWithEperm(string call, long[] args) =>
        Assert.Equal($"errno={SeccompProfile.EPERM}", await Syscall(_sandbox, call, args));

    [Fact]
    public async Task Seccomp_Clone3IsENOSYS_SoThreadsFallBackToClone_AndQueriesPass()
    {
        Assert.Equal($"errno={SeccompProfile.ENOSYS}", await Syscall(_sandbox, "clone3", 0, 0));
        // personality(0xffffffff) only reads the persona, and a plain fork-like clone is how every process starts.
        Assert.Equal("ok", await Syscall(_sandbox, "personality", 0xffffffff));
        Assert.Equal("ok", await Syscall(_sandbox, "clone", 17, 0, 0, 0, 0));
    }

    [Fact]
    public async Task Seccomp_LeavesOrdinaryJobsAlone_ThreadedX264AndFfprobe()
    {
        var result = await Ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:d=2", "-c:v", "libx264", "-threads", "4", "-preset", "veryfast", "x264.mp4");
        Assert.True(result.ExitCode == 0, result.StandardErrorTail);
        var media = await _tools.ProbeAsync(_job, "x264.mp4", new FileInfo(Path.Combine(_job, "x264.mp4")).Length, CancellationToken.None);
        Assert.Equal("h264", media.Codec);
        Assert.Equal(320, media.Width);
        Assert.InRange(media.Duration ?? 0, 1.9, 2.1);
    }
}
