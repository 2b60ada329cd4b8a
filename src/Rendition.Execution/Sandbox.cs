using System.Diagnostics;

namespace Rendition.Execution;

/// <summary>How a tool process is started: its file name and arguments, wrapped by the OS sandbox when there is one.</summary>
public sealed record SandboxedCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>Wraps ffmpeg/ffprobe in an OS sandbox: the job directory is the only writable (and the only non-system) path, with no network.</summary>
public interface ISandbox
{
    /// <summary>Name shown in logs and at <c>/healthz</c>.</summary>
    string Name { get; }

    /// <summary>True when commands are contained by the OS, not only by the command policy.</summary>
    bool IsolatesCommands { get; }

    /// <summary>
    /// The command that runs <paramref name="tool"/> with <paramref name="arguments"/> with <paramref name="jobDirectory"/> as its
    /// working directory; <paramref name="readOnlyFiles"/> (names relative to it) cannot be changed.
    /// </summary>
    SandboxedCommand Wrap(string tool, IReadOnlyList<string> arguments, string jobDirectory, IReadOnlyCollection<string> readOnlyFiles);
}

/// <summary>No OS sandbox (<c>RENDITION_SANDBOX=off</c>): the command policy and ffmpeg's whitelists are the only guards.</summary>
public sealed class NoSandbox : ISandbox
{
    public string Name => "off";

    public bool IsolatesCommands => false;

    public SandboxedCommand Wrap(string tool, IReadOnlyList<string> arguments, string jobDirectory, IReadOnlyCollection<string> readOnlyFiles) =>
        new(tool, arguments);
}

/// <summary>
/// bubblewrap: fresh namespaces (no network, own PIDs and users), every capability dropped, running as nobody, an empty
/// environment, read-only system directories, a small private <c>/tmp</c>, the job directory bound at <c>/job</c>, and
/// (with <paramref name="seccompFilter"/>, a BPF program from <see cref="SeccompProfile"/>) a seccomp filter on the command.
/// </summary>
public sealed class BubblewrapSandbox(string bwrapPath, string? seccompFilter) : ISandbox
{
    /// <summary>
    /// bubblewrap reads the filter from a file descriptor, and .NET lets a child inherit none but the standard three; so a
    /// shell opens the file as fd 3 and replaces itself with bwrap. Every value reaches it as an argument ($0 the filter,
    /// "$@" bwrap and its arguments), never as script text.
    /// </summary>
    private const string SeccompLauncher = "exec \"$@\" 3<\"$0\"";
    private const string Shell = "/bin/sh";

    public const string JobMount = "/job";
    private const string Nobody = "65534";
    private const long TmpBytes = 64L * 1024 * 1024;

    private static readonly string[] BwrapLocations = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];

    /// <summary>The compiled filter, written once per process into a directory only this user can read, removed at exit.</summary>
    private static readonly Lazy<string> SeccompFilterFile = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("rendition-seccomp-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var file = Path.Combine(dir.FullName, "filter.bpf");
        SeccompProfile.Export(file);
        return file;
    });
    private static readonly string[] ReadOnlySystemPaths = ["/usr", "/etc/alternatives", "/etc/ld.so.cache", "/etc/fonts"];
    private static readonly string[] UsrMergedDirs = ["lib", "lib64", "bin", "sbin"];

    public string Name => "bubblewrap";

    /// <summary>Where bwrap is.</summary>
    public string BwrapPath => bwrapPath;

    /// <summary>The BPF program given to bwrap's <c>--seccomp</c>, or null when the command runs without a seccomp filter.</summary>
    public string? SeccompFilter => seccompFilter;

    public bool IsolatesCommands => true;

    public SandboxedCommand Wrap(string tool, IReadOnlyList<string> arguments, string jobDirectory, IReadOnlyCollection<string> readOnlyFiles)
    {
        var args = new List<string>(arguments.Count + 48);
        foreach (var path in ReadOnlySystemPaths)
        {
            args.AddRange(["--ro-bind-try", path, path]);
        }
        foreach (var dir in UsrMergedDirs)
        {
            if (Directory.Exists("/usr/" + dir))
            {
                args.AddRange(["--symlink", "usr/" + dir, "/" + dir]);
            }
        }
        args.AddRange([
            "--proc", "/proc", "--dev", "/dev",
            "--size", TmpBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
            "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", Nobody, "--gid", Nobody,
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LC_ALL", "C",
            "--bind", jobDirectory, JobMount,
        ]);
        foreach (var name in readOnlyFiles)
        {
            args.AddRange(["--ro-bind", Path.Combine(jobDirectory, name), $"{JobMount}/{name}"]);
        }
        if (seccompFilter is not null)
        {
            args.AddRange(["--seccomp", "3"]);
        }
        args.AddRange(["--chdir", JobMount, "--", tool]);
        args.AddRange(arguments);
        return seccompFilter is null
            ? new SandboxedCommand(bwrapPath, args)
            : new SandboxedCommand(Shell, ["-c", SeccompLauncher, seccompFilter, bwrapPath, .. args]);
    }

    /// <summary>
    /// Finds bubblewrap, compiles the seccomp profile (once per process, into a private temporary directory) and checks that
    /// bwrap can create its namespaces and load the filter here; otherwise says why.
    /// </summary>
    public static BubblewrapSandbox? TryCreate(out string problem)
    {
        problem = "";
        var path = BwrapLocations.FirstOrDefault(File.Exists);
        if (path is null)
        {
            problem = "bubblewrap (bwrap) is not installed";
            return null;
        }
        string filter;
        try
        {
            filter = SeccompFilterFile.Value;
        }
        catch (SeccompUnavailableException e)
        {
            problem = $"the sandbox's seccomp filter could not be built: {e.Message}";
            return null;
        }
        var sandbox = new BubblewrapSandbox(path, filter);
        var probeDir = Directory.CreateTempSubdirectory("rendition-bwrap-");
        try
        {
            var cmd = sandbox.Wrap("/usr/bin/true", [], probeDir.FullName, []);
            var psi = new ProcessStartInfo(cmd.FileName) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in cmd.Arguments)
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                p.Kill(true);
                problem = "bubblewrap did not start within 10 s";
                return null;
            }
            if (p.ExitCode != 0)
            {
                problem = $"bubblewrap cannot create its sandbox here: {stderr.Result.Trim()}";
                return null;
            }
            return sandbox;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            problem = $"bubblewrap could not be run: {e.Message}";
            return null;
        }
        finally
        {
            probeDir.Delete(recursive: true);
        }
    }
}
