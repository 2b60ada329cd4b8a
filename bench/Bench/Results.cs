using System.Globalization;
using Rendition.Bench;

internal sealed class OverheadResult
{
    public List<double> Raw { get; } = [];
    public List<double> RawFfmpeg { get; } = [];
    public List<double> RawProbe { get; } = [];
    public List<double> Bwrap { get; } = [];
    public List<double> BwrapFfmpeg { get; } = [];
    public List<double> BwrapProbe { get; } = [];
    public List<double> Service { get; } = [];
    public List<double> ServiceWait { get; } = [];
    public List<double> SubmitMs { get; } = [];
    public List<double> ServerTotal { get; } = [];
    public List<double> ServerFfmpeg { get; } = [];
    public List<double> QueueWait { get; } = [];
    public List<double> AroundFfmpeg { get; } = [];
    public List<string> Ids { get; } = [];
}

internal sealed class ThroughputResult
{
    public double RawFfmpeg { get; set; } = double.NaN;
    public double RawFfmpegBefore { get; set; } = double.NaN;
    public double RawFfmpegAfter { get; set; } = double.NaN;
    public double RawFfmpegProbe { get; set; } = double.NaN;
    public double BwrapFfmpegProbe { get; set; } = double.NaN;
    public double Service { get; set; } = double.NaN;
    public double SubmitAllMs { get; set; }
    public int Failed { get; set; }
    public double ServerSelfCpu { get; set; } = double.NaN;
    public double ServerChildrenCpu { get; set; } = double.NaN;
    public double DriverCpu { get; set; } = double.NaN;
    public Dictionary<string, double> CpuPerRun { get; } = [];
}

internal sealed class HeavyResult
{
    public string Command { get; set; } = "";
    public List<double> Raw { get; } = [];
    public List<double> RawProbe { get; } = [];
    public List<double> Service { get; } = [];
    public List<double> ServerFfmpeg { get; } = [];
    public List<double> ServerTotal { get; } = [];
    public List<double> Observed { get; } = [];
}

internal sealed class MemoryResult
{
    public long Bytes { get; set; }
    public double DownloadBeforeMb { get; set; } = double.NaN;
    public double DownloadPeakMb { get; set; } = double.NaN;
    public double DownloadAfterMb { get; set; } = double.NaN;
    public double DownloadSeconds { get; set; }
    public int DownloadSamples { get; set; }
    public double FetchBeforeMb { get; set; } = double.NaN;
    public double FetchPeakMb { get; set; } = double.NaN;
    public double FetchAfterMb { get; set; } = double.NaN;
    public double FetchJobSeconds { get; set; }
    public int FetchSamples { get; set; }
    public double UploadBeforeMb { get; set; } = double.NaN;
    public double UploadPeakMb { get; set; } = double.NaN;
    public double UploadAfterMb { get; set; } = double.NaN;
    public double UploadSeconds { get; set; }
    public int UploadSamples { get; set; }
}

internal sealed class MetadataResult
{
    public long Bytes { get; set; }
    public double BeforeMb { get; set; } = double.NaN;
    public double PeakMb { get; set; } = double.NaN;
    public double AfterMb { get; set; } = double.NaN;
    public double Seconds { get; set; }
    public int Samples { get; set; }
    public string Status { get; set; } = "";
}

internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, string SocketErrors)
{
    public static WrkResult Parse(string text)
    {
        static double Dur(string v)
        {
            var m = System.Text.RegularExpressions.Regex.Match(v, @"^([\d.]+)(us|ms|s|m)$");
            if (!m.Success)
            {
                return double.NaN;
            }
            var x = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => x / 1000, "ms" => x, "s" => x * 1000, _ => x * 60000 };
        }
        double rps = double.NaN, p50 = double.NaN, p99 = double.NaN;
        long reqs = 0, non2xx = 0;
        var socket = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (line.StartsWith("Requests/sec:", StringComparison.Ordinal))
            {
                rps = double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("50%", StringComparison.Ordinal) && parts.Length == 2)
            {
                p50 = Dur(parts[1]);
            }
            else if (line.StartsWith("99%", StringComparison.Ordinal) && parts.Length == 2)
            {
                p99 = Dur(parts[1]);
            }
            else if (line.Contains("requests in", StringComparison.Ordinal))
            {
                reqs = long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Non-2xx or 3xx responses:", StringComparison.Ordinal))
            {
                non2xx = long.Parse(parts[^1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Socket errors:", StringComparison.Ordinal))
            {
                socket = line["Socket errors:".Length..].Trim();
            }
        }
        return new WrkResult(rps, p50, p99, reqs, non2xx, socket);
    }
}
