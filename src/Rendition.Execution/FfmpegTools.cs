using System.Globalization;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Media;

namespace Rendition.Execution;

/// <summary>Runs ffmpeg and ffprobe for jobs: inside the sandbox, on a bounded set of CPUs, with a deadline.</summary>
public sealed class FfmpegTools(RenditionOptions options, ISandbox sandbox)
{
    private static readonly string[] TasksetLocations = ["/usr/bin/taskset", "/bin/taskset"];
    private static int s_nextCpu;
    private readonly string _ffmpeg = ResolveExecutable(options.FfmpegPath);
    private readonly string _ffprobe = ResolveExecutable(options.FfprobePath);
    private readonly string? _taskset = TasksetLocations.FirstOrDefault(File.Exists);

    public ISandbox Sandbox => sandbox;

    /// <summary>The argv ffmpeg gets for a user's tokens (placeholders already replaced): quiet, non-interactive, overwrite, local files only.</summary>
    public static List<string> BuildArguments(IReadOnlyList<string> userTokens)
    {
        var args = new List<string>(userTokens.Count + 12) { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y" };
        foreach (var token in userTokens)
        {
            // Each input may open only local files, and neither may what it references (playlists, concat lists).
            if (token == "-i")
            {
                args.Add("-protocol_whitelist");
                args.Add("file");
            }
            args.Add(token);
        }
        return args;
    }

    /// <summary>Runs ffmpeg with <paramref name="arguments"/> in <paramref name="jobDirectory"/> on at most <paramref name="vcpuCount"/> CPUs.</summary>
    public Task<ProcessResult> RunFfmpegAsync(IReadOnlyList<string> arguments, string jobDirectory, int vcpuCount, TimeSpan timeout, CancellationToken ct) =>
        ProcessRunner.RunAsync(LimitCpus(sandbox.Wrap(_ffmpeg, arguments, jobDirectory), vcpuCount), jobDirectory, timeout, captureStdout: false, ct);

    /// <summary>Probes a file of the job directory (by relative name) and maps it to wire metadata.</summary>
    public async Task<MediaInfo> ProbeAsync(string jobDirectory, string fileName, long sizeBytes, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(
            sandbox.Wrap(_ffprobe, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", fileName], jobDirectory),
            jobDirectory, TimeSpan.FromSeconds(60), captureStdout: true, ct);
        if (result.ExitCode != 0 || string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            // Not media ffprobe understands (a text file, say): still a valid output, with only what the name tells.
            return new MediaInfo { MimeType = MediaTypes.ForFileName(fileName), FileFormat = MediaTypes.Extension(fileName) is { Length: > 0 } e ? e : null };
        }
        using var doc = JsonDocument.Parse(result.StandardOutput);
        Dictionary<int, long>? packetBytes = null;
        if (ProbeMapper.NeedsPacketScan(doc.RootElement))
        {
            packetBytes = await PacketBytesAsync(jobDirectory, fileName, ct);
        }
        return ProbeMapper.Map(doc.RootElement, fileName, sizeBytes, packetBytes);
    }

    private async Task<Dictionary<int, long>?> PacketBytesAsync(string jobDirectory, string fileName, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(
            sandbox.Wrap(_ffprobe, ["-v", "error", "-show_entries", "packet=stream_index,size", "-of", "csv=p=0", "--", fileName], jobDirectory),
            jobDirectory, TimeSpan.FromSeconds(120), captureStdout: true, ct);
        if (result.ExitCode != 0)
        {
            return null;
        }
        var totals = new Dictionary<int, long>();
        foreach (var line in result.StandardOutput.AsSpan().EnumerateLines())
        {
            var comma = line.IndexOf(',');
            if (comma > 0
                && int.TryParse(line[..comma], NumberStyles.Integer, CultureInfo.InvariantCulture, out var stream)
                && long.TryParse(line[(comma + 1)..].TrimEnd(','), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size))
            {
                totals[stream] = totals.GetValueOrDefault(stream) + size;
            }
        }
        return totals;
    }

    private SandboxedCommand LimitCpus(SandboxedCommand command, int vcpuCount)
    {
        var cores = Environment.ProcessorCount;
        if (_taskset is null || vcpuCount >= cores)
        {
            return command;
        }
        // Spread jobs over the cores instead of piling every small job onto CPU 0; libav* sizes its thread pools from the affinity mask.
        var start = (int)((uint)Interlocked.Increment(ref s_nextCpu) % (uint)cores);
        var cpus = string.Join(',', Enumerable.Range(0, vcpuCount).Select(i => (start + i) % cores));
        return new SandboxedCommand(_taskset, ["--cpu-list", cpus, command.FileName, .. command.Arguments]);
    }

    private static string ResolveExecutable(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return name;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return name;
    }

    /// <summary>True when both ffmpeg and ffprobe can be found.</summary>
    public bool ToolsAvailable => Path.IsPathRooted(_ffmpeg) && File.Exists(_ffmpeg) && Path.IsPathRooted(_ffprobe) && File.Exists(_ffprobe);
}
