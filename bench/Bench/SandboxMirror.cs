using System.Collections;
using System.Reflection;
using System.Runtime.Loader;

namespace Rendition.Bench;

/// <summary>
/// The sandbox wrapping the server applies, for the "under bubblewrap" baselines. Taken from the measured server's own
/// <c>BubblewrapSandbox.Wrap</c> (loaded from its publish directory) so the baseline follows src/; a copy of the flags
/// (src/Rendition.Execution/Sandbox.cs) is the fallback when that signature changes. prlimit mirrors FfmpegTools.Limit.
/// </summary>
public sealed class SandboxMirror
{
    private readonly Func<string, IReadOnlyList<string>, string, IReadOnlyCollection<string>, (string File, List<string> Args)>? _fromServer;
    private readonly string _bwrap;
    private readonly string? _prlimit;

    public string Source { get; }

    public SandboxMirror(string serverDir, string bwrap)
    {
        _bwrap = bwrap;
        _prlimit = new[] { "/usr/bin/prlimit", "/bin/prlimit" }.FirstOrDefault(File.Exists);
        try
        {
            _fromServer = LoadFromServer(serverDir, bwrap);
            _fromServer("/usr/bin/true", [], Path.GetTempPath(), []);
            Source = "the server's own BubblewrapSandbox.Wrap";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _fromServer = null;
            Source = $"bench's copy of the Sandbox.cs flags (could not call the server's: {e.GetType().Name})";
        }
    }

    /// <summary>
    /// prlimit … -- [sh -c … filter] bwrap FLAGS -- tool args: what the server runs for ffmpeg/ffprobe (the default
    /// vcpu_count needs no taskset; the shell opens the seccomp filter for bwrap).
    /// </summary>
    public (string File, List<string> Args) Wrap(string tool, IReadOnlyList<string> args, string jobDir, IReadOnlyCollection<string> readOnlyFiles)
    {
        var (file, wrapped) = _fromServer?.Invoke(tool, args, jobDir, readOnlyFiles) ?? (_bwrap, [.. Fallback(jobDir, readOnlyFiles), "--", tool, .. args]);
        if (_prlimit is null)
        {
            return (file, wrapped);
        }
        // FfmpegTools.Limit with the defaults RENDITION_JOB_MEMORY_MB=4096 and RENDITION_MAX_OUTPUT_MB=10240.
        return (_prlimit, [$"--as={4096L * 1024 * 1024}", $"--fsize={10240L * 1024 * 1024}", "--core=0", "--", file, .. wrapped]);
    }

    /// <summary>The whole prefix (everything before the tool) as one line per argument, for raw-loop.sh.</summary>
    public IEnumerable<string> Prefix(string jobDir, IReadOnlyCollection<string> readOnlyFiles)
    {
        var (file, args) = Wrap("TOOL", [], jobDir, readOnlyFiles);
        return [file, .. args.Take(args.Count - 1)];
    }

    private static List<string> Fallback(string jobDir, IReadOnlyCollection<string> readOnlyFiles)
    {
        var a = new List<string>();
        foreach (var p in new[] { "/usr", "/etc/alternatives", "/etc/ld.so.cache", "/etc/fonts" })
        {
            a.AddRange(["--ro-bind-try", p, p]);
        }
        foreach (var d in new[] { "lib", "lib64", "bin", "sbin" })
        {
            if (Directory.Exists("/usr/" + d))
            {
                a.AddRange(["--symlink", "usr/" + d, "/" + d]);
            }
        }
        a.AddRange(["--proc", "/proc", "--dev", "/dev", "--size", (64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
            "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LC_ALL", "C", "--bind", jobDir, "/job"]);
        foreach (var name in readOnlyFiles)
        {
            a.AddRange(["--ro-bind", Path.Combine(jobDir, name), "/job/" + name]);
        }
        a.AddRange(["--chdir", "/job"]);
        return a;
    }

    private static Func<string, IReadOnlyList<string>, string, IReadOnlyCollection<string>, (string File, List<string> Args)> LoadFromServer(string serverDir, string bwrap)
    {
        var context = new AssemblyLoadContext("rendition-server", isCollectible: false);
        context.Resolving += (ctx, name) =>
        {
            var path = Path.Combine(serverDir, name.Name + ".dll");
            return File.Exists(path) ? ctx.LoadFromAssemblyPath(path) : null;
        };
        var assembly = context.LoadFromAssemblyPath(Path.Combine(serverDir, "Rendition.Execution.dll"));
        var type = assembly.GetType("Rendition.Execution.BubblewrapSandbox", throwOnError: true)!;
        // The server's own TryCreate (bubblewrap found, seccomp filter compiled, as at its start), else the bare constructor.
        object sandbox;
        if (type.GetMethod("TryCreate", BindingFlags.Public | BindingFlags.Static) is { } tryCreate)
        {
            var call = new object?[] { null };
            sandbox = tryCreate.Invoke(null, call) ?? throw new InvalidOperationException($"BubblewrapSandbox.TryCreate: {call[0]}");
        }
        else
        {
            sandbox = Activator.CreateInstance(type, bwrap)!;
        }
        var wrap = type.GetMethod("Wrap", BindingFlags.Public | BindingFlags.Instance) ?? throw new MissingMethodException("BubblewrapSandbox.Wrap");
        var parameters = wrap.GetParameters().Length;
        return (tool, args, dir, readOnly) =>
        {
            object?[] call = parameters switch
            {
                3 => [tool, args, dir],
                4 => [tool, args, dir, readOnly],
                _ => throw new MissingMethodException($"BubblewrapSandbox.Wrap has {parameters} parameters"),
            };
            var result = wrap.Invoke(sandbox, call)!;
            var file = (string)result.GetType().GetProperty("FileName")!.GetValue(result)!;
            var arguments = ((IEnumerable)result.GetType().GetProperty("Arguments")!.GetValue(result)!).Cast<string>().ToList();
            if (file != bwrap && !arguments.Contains(bwrap))
            {
                throw new InvalidOperationException("Wrap did not start bwrap");
            }
            return (file, arguments);
        };
    }
}
