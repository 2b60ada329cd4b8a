using System.Globalization;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Media;

namespace Rendition.Execution;

/// <summary>Runs ffmpeg and ffprobe for jobs: inside the sandbox, on a bounded set of CPUs, under resource limits, with a deadline.</summary>
public sealed class FfmpegTools
{
    /// <summary>Exit status of a process killed by SIGXFSZ (RLIMIT_FSIZE crossed), as bubblewrap and shells report it.</summary>
    public const int FileSizeLimitExitCode = 128 + 25;

    // Demuxers that follow references to other files or the network, or run scripts; devices are excluded separately.
    private static readonly HashSet<string> DeniedDemuxers = new(StringComparer.Ordinal)
    {
        "concat", "hls", "applehttp", "dash", "imf", "sdp", "rtp", "rtsp", "sap", "avisynth", "vapoursynth", "libcdio",
    };

    private static readonly string[] TasksetLocations = ["/usr/bin/taskset", "/bin/taskset"];
    private static readonly string[] PrlimitLocations = ["/usr/bin/prlimit", "/bin/prlimit"];
    private static int s_nextCpu;

    private readonly RenditionOptions _options;
    private readonly ISandbox _sandbox;
    private readonly string _ffmpeg;
    private readonly string _ffprobe;
    private readonly string? _taskset = TasksetLocations.FirstOrDefault(File.Exists);
    private readonly string? _prlimit = PrlimitLocations.FirstOrDefault(File.Exists);
    private readonly Lazy<string> _formatWhitelist;

    public FfmpegTools(RenditionOptions options, ISandbox sandbox)
    {
        _options = options;
        _sandbox = sandbox;
        _ffmpeg = ResolveExecutable(options.FfmpegPath);
        _ffprobe = ResolveExecutable(options.FfprobePath);
        _formatWhitelist = new Lazy<string>(BuildFormatWhitelist);
    }

    public ISandbox Sandbox => _sandbox;

    /// <summary>True when both ffmpeg and ffprobe can be found.</summary>
    public bool ToolsAvailable => File.Exists(_ffmpeg) && File.Exists(_ffprobe);

    /// <summary>What is missing of the tools resolved at start (for the readiness probe), or null when both are there.</summary>
    public string? MissingTool() =>
        !File.Exists(_ffmpeg) ? $"ffmpeg not found at '{_ffmpeg}' (RENDITION_FFMPEG)"
        : !File.Exists(_ffprobe) ? $"ffprobe not found at '{_ffprobe}' (RENDITION_FFPROBE)"
        : null;

    /// <summary>The demuxers inputs may use: everything this ffmpeg has, less devices (but lavfi) and reference-following formats.</summary>
    public string FormatWhitelist => _formatWhitelist.Value;

    /// <summary>How much of ffmpeg's log a job keeps (per step), in characters.</summary>
    public const int LogChars = 256 * 1024;

    /// <summary>
    /// Runs ffmpeg for a job step: the step's invocation (placeholders bound) in, result out; argv is rendered from the
    /// invocation alone (<see cref="FfmpegInvocation.ToArguments"/>), with this ffmpeg's demuxer whitelist before every input (stderr is the step's log, level-tagged); limits crossed are
    /// reported in <see cref="ProcessResult.LimitExceeded"/>; progress lines go to <paramref name="onProgressLine"/>.
    /// </summary>
    public async Task<ProcessResult> RunFfmpegAsync(FfmpegInvocation invocation, string jobDirectory, int vcpuCount, TimeSpan timeout,
        IReadOnlyCollection<string> inputFiles, ProgressParser? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return await RunArgumentsAsync(invocation.ToArguments(FormatWhitelist), jobDirectory, vcpuCount, timeout, inputFiles, progress, ct);
    }

    /// <summary>Runs ffmpeg with argv as given, in the sandbox and under the limits: only for tests of those layers on their own.</summary>
    internal async Task<ProcessResult> RunArgumentsAsync(IReadOnlyList<string> args, string jobDirectory, int vcpuCount, TimeSpan timeout,
        IReadOnlyCollection<string> inputFiles, ProgressParser? progress, CancellationToken ct)
    {
        var command = Limit(_sandbox.Wrap(_ffmpeg, args, jobDirectory, inputFiles), vcpuCount);
        var result = await ProcessRunner.RunAsync(command, jobDirectory, timeout, new ProcessWatch
        {
            OnStdoutLine = progress is null ? null : progress.OnLine,
            OnStderrLine = progress is null ? null : progress.OnLogLine,
            StderrChars = LogChars,
            CheckLimits = () => CheckOutputLimits(jobDirectory, inputFiles),
        }, ct);
        if (result.LimitExceeded is null && result.ExitCode == FileSizeLimitExitCode)
        {
            return result with { LimitExceeded = $"an output file grew past {_options.MaxOutputMb} MB" };
        }
        if (result.LimitExceeded is null && result.ExitCode != 0 && result.StandardErrorTail.Contains("Cannot allocate memory", StringComparison.Ordinal))
        {
            return result with { LimitExceeded = $"ffmpeg needed more than the {_options.JobMemoryMb} MB memory limit" };
        }
        return result;
    }

    /// <summary>The files a job wrote past its limits (count or total size, inputs excluded), or null.</summary>
    public string? CheckOutputLimits(string jobDirectory, IReadOnlyCollection<string> inputFiles)
    {
        long bytes = 0;
        var files = 0;
        foreach (var file in new DirectoryInfo(jobDirectory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (inputFiles.Contains(file.Name) && file.DirectoryName == jobDirectory)
            {
                continue;
            }
            files++;
            bytes += file.Length;
        }
        if (files > _options.MaxOutputFiles)
        {
            return $"the job wrote more than {_options.MaxOutputFiles} files";
        }
        return bytes > _options.MaxOutputMb * 1024 * 1024 ? $"the job wrote more than {_options.MaxOutputMb} MB" : null;
    }

    /// <summary>What a file's name alone tells: its MIME type and format (for files not probed).</summary>
    public static MediaInfo DescribeByName(string fileName) =>
        new() { MimeType = MediaTypes.ForFileName(fileName), FileFormat = MediaTypes.Extension(fileName) is { Length: > 0 } e ? e : null };

    /// <summary>
    /// Probes a file of the job directory (by relative name), sandboxed like ffmpeg, and maps it to wire metadata. ffprobe
    /// is asked only for the fields the metadata uses (no tags but bitrate, which a file can make as large as itself), and
    /// at most <see cref="ProbeOutputBytes"/> of its answer is kept: a file whose description does not fit is described by its name.
    /// </summary>
    public async Task<MediaInfo> ProbeAsync(string jobDirectory, string fileName, long sizeBytes, CancellationToken ct)
    {
        var result = await RunProbeAsync(jobDirectory, ["-show_entries", ProbeMapper.Entries, "-print_format", "json", fileName],
            new ProcessWatch { CaptureStdout = true, StdoutBytes = ProbeOutputBytes }, ct);
        if (result.ExitCode != 0 || result.StandardOutputTruncated || string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            // Not media ffprobe understands (a text file, say): still a valid output, with only what the name tells.
            return DescribeByName(fileName);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(result.StandardOutput);
        }
        catch (JsonException)
        {
            return DescribeByName(fileName);
        }
        using (doc)
        {
            Dictionary<int, long>? packetBytes = null;
            if (ProbeMapper.NeedsPacketScan(doc.RootElement))
            {
                packetBytes = await PacketBytesAsync(jobDirectory, fileName, ct);
            }
            return ProbeMapper.Map(doc.RootElement, fileName, sizeBytes, packetBytes);
        }
    }

    /// <summary>How much of ffprobe's JSON a probe keeps: the selected fields of a few hundred streams.</summary>
    public const int ProbeOutputBytes = 256 * 1024;

    private Task<ProcessResult> RunProbeAsync(string jobDirectory, string[] args, ProcessWatch watch, CancellationToken ct) =>
        ProcessRunner.RunAsync(
            Limit(_sandbox.Wrap(_ffprobe, ["-v", "error", "-protocol_whitelist", "file", "-format_whitelist", FormatWhitelist, .. args[..^1], "-i", args[^1]], jobDirectory, []), int.MaxValue),
            jobDirectory, TimeSpan.FromSeconds(120), watch, ct);

    /// <summary>Payload bytes per stream, summed line by line as ffprobe lists the packets (one line each: never held whole).</summary>
    private async Task<Dictionary<int, long>?> PacketBytesAsync(string jobDirectory, string fileName, CancellationToken ct)
    {
        var totals = new Dictionary<int, long>();
        var result = await RunProbeAsync(jobDirectory, ["-show_entries", "packet=stream_index,size", "-of", "csv=p=0", fileName], new ProcessWatch
        {
            OnStdoutLine = line =>
            {
                var comma = line.IndexOf(',', StringComparison.Ordinal);
                if (comma > 0
                    && int.TryParse(line.AsSpan(0, comma), NumberStyles.Integer, CultureInfo.InvariantCulture, out var stream)
                    && long.TryParse(line.AsSpan(comma + 1).TrimEnd(','), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size)
                    && (totals.ContainsKey(stream) || totals.Count < MaxProbedStreams))
                {
                    totals[stream] = totals.GetValueOrDefault(stream) + size;
                }
            },
        }, ct);
        return result.ExitCode == 0 ? totals : null;
    }

    /// <summary>Streams counted when summing packets: more than any real file has, fewer than a crafted one could claim.</summary>
    private const int MaxProbedStreams = 1024;

    /// <summary>Adds the CPU set (taskset) and the memory, file-size and core-dump limits (prlimit) in front of a sandboxed command.</summary>
    private SandboxedCommand Limit(SandboxedCommand command, int vcpuCount)
    {
        var prefix = new List<string>();
        var cores = Environment.ProcessorCount;
        if (_taskset is not null && vcpuCount < cores)
        {
            // Spread jobs over the cores instead of piling every small job onto CPU 0; libav* sizes its thread pools from the affinity mask.
            var start = (int)((uint)Interlocked.Increment(ref s_nextCpu) % (uint)cores);
            prefix.AddRange([_taskset, "--cpu-list", string.Join(',', Enumerable.Range(0, vcpuCount).Select(i => (start + i) % cores))]);
        }
        if (_prlimit is not null)
        {
            prefix.AddRange([_prlimit,
                $"--as={_options.JobMemoryMb * 1024 * 1024}",
                $"--fsize={_options.MaxOutputMb * 1024 * 1024}",
                "--core=0", "--"]);
        }
        return prefix.Count == 0 ? command : new SandboxedCommand(prefix[0], [.. prefix.Skip(1), command.FileName, .. command.Arguments]);
    }

    private string BuildFormatWhitelist()
    {
        var demuxers = ListFormats("-demuxers");
        var devices = ListFormats("-devices");
        devices.Remove("lavfi");
        var allowed = demuxers.Where(d => !DeniedDemuxers.Contains(d) && !devices.Contains(d)).ToList();
        return allowed.Count > 0 ? string.Join(',', allowed) : "lavfi,mov,mp4,matroska,webm,mpegts,mp3,wav,flac,ogg,aac,image2,png_pipe,jpeg_pipe,gif,avi,flv";
    }

    private static readonly TimeSpan ListFormatsTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Names from <c>ffmpeg -demuxers</c>/<c>-devices</c> that can be read ('D' flag); multi-name demuxers split. Run like every
    /// other tool process (both pipes drained, a deadline), and waited for here: it runs once per process, for the first job.
    /// </summary>
    private HashSet<string> ListFormats(string which)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        ProcessResult result;
        try
        {
            result = ProcessRunner.RunAsync(new SandboxedCommand(_ffmpeg, ["-hide_banner", which]), Path.GetTempPath(), ListFormatsTimeout,
                new ProcessWatch { CaptureStdout = true }, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return names;
        }
        if (result.ExitCode != 0)
        {
            return names;
        }
        var started = false;
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            if (line.Trim() == "--")
            {
                started = true;
                continue;
            }
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (started && parts.Length >= 2 && parts[0].Contains('D', StringComparison.Ordinal))
            {
                names.UnionWith(parts[1].Split(','));
            }
        }
        return names;
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
}
