using System.Diagnostics;

namespace Rendition.Execution;

/// <summary>How a tool process is started: its file name and arguments, wrapped by the OS sandbox when there is one.</summary>
public sealed record SandboxedCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>Wraps ffmpeg/ffprobe in an OS sandbox: the job directory is the only writable (and the only non-system) path, with no network.</summary>
public interface ISandbox
{
    /// <summary>Name shown in logs and health output.</summary>
    string Name { get; }

    /// <summary>The command that runs <paramref name="tool"/> with <paramref name="arguments"/> inside <paramref name="jobDirectory"/> as its working directory.</summary>
    SandboxedCommand Wrap(string tool, IReadOnlyList<string> arguments, string jobDirectory);
}

/// <summary>No OS sandbox: the command policy and the protocol whitelist are the only guards. For hosts without bubblewrap.</summary>
public sealed class NoSandbox : ISandbox
{
    public string Name => "none";

    public SandboxedCommand Wrap(string tool, IReadOnlyList<string> arguments, string jobDirectory) => new(tool, arguments);
}

/// <summary>bubblewrap: fresh namespaces (no network, own PIDs), read-only system directories, the job directory bound at <c>/job</c>.</summary>
public sealed class BubblewrapSandbox(string bwrapPath) : ISandbox
{
    public const string JobMount = "/job";

    private static readonly string[] ReadOnlySystemPaths = ["/usr", "/etc/alternatives", "/etc/ld.so.cache", "/etc/fonts", "/etc/ssl"];

    private static readonly string[] BwrapLocations = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];

    private static readonly string[] UsrMergedDirs = ["lib", "lib64", "bin", "sbin"];

    public string Name => "bubblewrap";

    public SandboxedCommand Wrap(string tool, IReadOnlyList<string> arguments, string jobDirectory)
    {
        var args = new List<string>(arguments.Count + 40);
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
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--unshare-all", "--die-with-parent", "--new-session",
            "--bind", jobDirectory, JobMount, "--chdir", JobMount,
            "--", tool,
        ]);
        args.AddRange(arguments);
        return new SandboxedCommand(bwrapPath, args);
    }

    /// <summary>Finds bubblewrap and checks it can actually create its namespaces here; null when it cannot.</summary>
    public static BubblewrapSandbox? TryCreate()
    {
        var path = BwrapLocations.FirstOrDefault(File.Exists);
        if (path is null)
        {
            return null;
        }
        var sandbox = new BubblewrapSandbox(path);
        var probeDir = Directory.CreateTempSubdirectory("rendition-bwrap-");
        try
        {
            var cmd = sandbox.Wrap("/usr/bin/true", [], probeDir.FullName);
            var psi = new ProcessStartInfo(cmd.FileName) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in cmd.Arguments)
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi);
            if (p is null)
            {
                return null;
            }
            if (!p.WaitForExit(10_000))
            {
                p.Kill(true);
                return null;
            }
            return p.ExitCode == 0 ? sandbox : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
        finally
        {
            probeDir.Delete(recursive: true);
        }
    }
}
