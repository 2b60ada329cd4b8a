using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Rendition.Bench;

// 1/6 overhead: sequential tiny jobs against raw and bubblewrapped ffmpeg + ffprobe, and the phases around ffmpeg.
internal sealed partial class Bench
{
    private async Task OverheadAsync()
    {
        Say($"1/6 overhead: {cfg.N} sequential tiny jobs, interleaved with raw and bwrap runs of the same ffmpeg + ffprobe");
        var raw = Dir("raw");
        var bw = Dir("bwrap");
        var ff = FfmpegArgs("-i", "in_v.mp4", "-c", "copy", "o.mp4");
        var probe = ProbeArgs("o.mp4");
        var t = TimeSpan.FromMinutes(1);
        async Task<(double Ff, double Probe)> RawOnce()
        {
            var a = await Tools.RunAsync(_ffmpeg, ff, raw, t);
            var b = await Tools.RunAsync(_ffprobe, probe, raw, t);
            Check(a.Code == 0 && b.Code == 0, "raw ffmpeg/ffprobe failed: " + a.Stderr + b.Stderr);
            return (a.Ms, b.Ms);
        }
        async Task<(double Ff, double Probe)> BwrapOnce()
        {
            var (af, aa) = _sandbox!.Wrap(_ffmpeg, ff, bw, ["in_v.mp4"]);
            var a = await Tools.RunAsync(af, aa, bw, t);
            var (bf, ba) = _sandbox.Wrap(_ffprobe, probe, bw, []);
            var b = await Tools.RunAsync(bf, ba, bw, t);
            Check(a.Code == 0 && b.Code == 0, "bwrap ffmpeg/ffprobe failed: " + a.Stderr + b.Stderr);
            return (a.Ms, b.Ms);
        }
        for (var i = 0; i < 3; i++)
        {
            await RawOnce();
            await BwrapOnce();
        }
        var o = _report.Overhead;
        for (var i = 0; i < cfg.N; i++)
        {
            var r = await RawOnce();
            o.RawFfmpeg.Add(r.Ff);
            o.RawProbe.Add(r.Probe);
            o.Raw.Add(r.Ff + r.Probe);
            var b = await BwrapOnce();
            o.BwrapFfmpeg.Add(b.Ff);
            o.BwrapProbe.Add(b.Probe);
            o.Bwrap.Add(b.Ff + b.Probe);

            var t0 = Stopwatch.GetTimestamp();
            var id = await _server!.SubmitAsync(TinyJob());
            var t1 = Stopwatch.GetTimestamp();
            var (p, done) = await _server.WaitAsync(id, cfg.PollMs, t);
            ServerProcess.EnsureSuccess("overhead job", p);
            o.Service.Add(Stats.Ms(t0, done));
            o.SubmitMs.Add(Stats.Ms(t0, t1));
            o.ServerTotal.Add((p.TotalSeconds ?? double.NaN) * 1000);
            o.ServerFfmpeg.Add((p.FfmpegSeconds ?? double.NaN) * 1000);
            o.Ids.Add(id);

            // The same job awaited the way the API offers for short jobs: POST ?wait= answers the finished poll object.
            var w0 = Stopwatch.GetTimestamp();
            var waited = await _server.SubmitAndWaitAsync(TinyJob(), 60);
            var w1 = Stopwatch.GetTimestamp();
            ServerProcess.EnsureSuccess("overhead job (?wait=)", waited);
            o.ServiceWait.Add(Stats.Ms(w0, w1));
        }
        _report.SampleCommandId = o.Ids[^1];
        ReadPhases(o);
    }

    /// <summary>created/started/completed (ms) from the server's SQLite file: queue wait, and the time around ffmpeg.</summary>
    private void ReadPhases(OverheadResult o)
    {
        try
        {
            var db = Path.Combine(_server!.DataDir, "rendition.db");
            using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            foreach (var id in o.Ids)
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT created_at, started_at, completed_at, ffmpeg_seconds FROM commands WHERE id = $id";
                cmd.Parameters.AddWithValue("$id", id);
                using var r = cmd.ExecuteReader();
                if (r.Read())
                {
                    double created = r.GetInt64(0), started = r.GetInt64(1), completed = r.GetInt64(2), ffmpeg = r.GetDouble(3) * 1000;
                    o.QueueWait.Add(started - created);
                    o.AroundFfmpeg.Add(completed - started - ffmpeg);
                }
            }
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or InvalidCastException)
        {
            Say("could not read job phases from the database: " + e.Message);
        }
    }
}
