using System.Globalization;
using Rendition.Core.Contracts;

namespace Rendition.Execution;

/// <summary>
/// Turns ffmpeg's <c>-progress pipe:1</c> blocks into <see cref="CommandProgress"/>. The percentage needs the output's
/// expected length: the step's own <c>-t</c>/<c>-to</c> when it has one (<see cref="Rendition.Core.Commands.FfmpegInvocation.ExpectedSeconds"/>), else the first input's <c>Duration:</c> from the
/// header ffmpeg logs before it starts (read from stderr, so no extra ffprobe run is needed).
/// </summary>
public sealed class ProgressParser(int step, int steps, double? expectedSeconds, Action<CommandProgress> report)
{
    private const string DurationMarker = "  Duration: ";
    private double _outTime;
    private double? _speed;
    private double? _expected = expectedSeconds;
    private bool _durationSeen = expectedSeconds is not null;

    /// <summary>The output length the percentage is computed against, once known.</summary>
    public double? ExpectedSeconds => _expected;

    /// <summary>Feeds one stderr line: the first input's <c>Duration: HH:MM:SS.xx</c> (or N/A) is the expected length.</summary>
    public void OnLogLine(string line)
    {
        if (_durationSeen)
        {
            return;
        }
        var at = line.IndexOf(DurationMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return;
        }
        _durationSeen = true;
        var rest = line.AsSpan(at + DurationMarker.Length);
        var comma = rest.IndexOf(',');
        var value = (comma >= 0 ? rest[..comma] : rest).Trim().ToString();
        if (ParseTime(value) is > 0 and var seconds)
        {
            _expected = seconds;
        }
    }

    /// <summary>Feeds one stdout line; a <c>progress=</c> line ends a block and reports it.</summary>
    public void OnLine(string line)
    {
        var eq = line.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return;
        }
        var key = line.AsSpan(0, eq);
        var value = line.AsSpan(eq + 1).Trim();
        if (key.SequenceEqual("out_time_us") && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var us) && us >= 0)
        {
            _outTime = us / 1_000_000.0;
        }
        else if (key.SequenceEqual("speed"))
        {
            _speed = double.TryParse(value.TrimEnd('x'), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? Math.Round(s, 3) : null;
        }
        else if (key.SequenceEqual("progress"))
        {
            var end = value.SequenceEqual("end");
            var total = _expected;
            double? percent = total is > 0 ? Math.Round(Math.Min(100, _outTime * 100 / total.Value), 1) : null;
            report(new CommandProgress(end ? 100 : percent, Math.Round(_outTime, 3), _speed, step, steps));
        }
    }

    /// <summary>ffmpeg's time syntax: seconds ("12.5") or [HH:]MM:SS[.ms].</summary>
    public static double? ParseTime(string value)
    {
        var parts = value.Split(':');
        double total = 0;
        foreach (var part in parts)
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0)
            {
                return null;
            }
            total = (total * 60) + n;
        }
        return parts.Length <= 3 ? total : null;
    }
}
