using System.Diagnostics;
using System.Globalization;
using Rendition.Bench;

// 2/6 throughput: a burst of tiny jobs against a shell loop of parallel raw runs.
internal sealed partial class Bench
{
    private async Task<double> LoopAsync(string mode)
    {
        var dir = Dir("loop-" + mode.Replace('+', '-'));
        File.Copy(TinyInput, Path.Combine(dir, "in_v.mp4"), overwrite: true);
        // The sandbox prefixes the loop uses in bwrap mode, one argument per line: for ffmpeg (input read-only) and for ffprobe.
        await File.WriteAllLinesAsync(Path.Combine(cfg.Work, "sandbox-ffmpeg.args"), _sandbox!.Prefix(dir, ["in_v.mp4"]));
        await File.WriteAllLinesAsync(Path.Combine(cfg.Work, "sandbox-ffprobe.args"), _sandbox.Prefix(dir, []));
        var cpuBefore = CpuMeter.ProcessCpu(Environment.ProcessId).ChildrenMs;
        var r = await Tools.RunAsync("/bin/bash", [cfg.LoopScript, mode, cfg.Workers.ToString(CultureInfo.InvariantCulture),
            cfg.Burst.ToString(CultureInfo.InvariantCulture), dir, cfg.Work], dir, TimeSpan.FromMinutes(5), cleanEnvironment: false);
        Check(r.Code == 0, $"raw loop ({mode}) failed: {r.Stderr}");
        var cpuAfter = CpuMeter.ProcessCpu(Environment.ProcessId).ChildrenMs;
        _report.Throughput.CpuPerRun[mode] = (cpuAfter - cpuBefore) / cfg.Burst;
        return cfg.Burst / (r.Ms / 1000);
    }

    private async Task ThroughputAsync()
    {
        Say($"2/6 throughput: {cfg.Burst} tiny jobs at once vs a shell loop of {cfg.Workers} parallel raw runs");
        var th = _report.Throughput;
        var before = await LoopAsync("ffmpeg");

        var serverCpu0 = CpuMeter.ProcessCpu(_server!.Pid);
        var driverCpu0 = CpuMeter.ProcessCpu(Environment.ProcessId);
        var t0 = Stopwatch.GetTimestamp();
        var ids = await Task.WhenAll(Enumerable.Range(0, cfg.Burst).Select(_ => _server!.SubmitAsync(TinyJob())));
        th.SubmitAllMs = Stats.Ms(t0, Stopwatch.GetTimestamp());
        // Follow the completion frontier in submission order: one poll per 20 ms, not one per job.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 600;
        var failed = 0;
        long last = 0;
        foreach (var id in ids)
        {
            while (true)
            {
                var p = await _server!.PollAsync(id);
                last = Stopwatch.GetTimestamp();
                if (p.Status is "SUCCESS" or "FAILED")
                {
                    failed += p.Status == "FAILED" ? 1 : 0;
                    break;
                }
                Check(last < deadline, "throughput jobs did not finish within 10 minutes");
                await Task.Delay(20);
            }
        }
        th.Failed = failed;
        th.Service = cfg.Burst / (Stats.Ms(t0, last) / 1000);
        var serverCpu1 = CpuMeter.ProcessCpu(_server.Pid);
        var driverCpu1 = CpuMeter.ProcessCpu(Environment.ProcessId);
        th.ServerSelfCpu = (serverCpu1.SelfMs - serverCpu0.SelfMs) / cfg.Burst;
        th.ServerChildrenCpu = (serverCpu1.ChildrenMs - serverCpu0.ChildrenMs) / cfg.Burst;
        th.DriverCpu = (driverCpu1.SelfMs - driverCpu0.SelfMs) / cfg.Burst;

        // The raw loop runs before and after the service's burst, so drifting load on the machine hits both sides.
        var after = await LoopAsync("ffmpeg");
        th.RawFfmpeg = 2 / (1 / before + 1 / after);
        th.RawFfmpegBefore = before;
        th.RawFfmpegAfter = after;
        th.RawFfmpegProbe = await LoopAsync("ffmpeg+ffprobe");
        th.BwrapFfmpegProbe = await LoopAsync("bwrap");
    }
}
