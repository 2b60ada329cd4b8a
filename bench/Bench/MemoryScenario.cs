using System.Diagnostics;
using Rendition.Bench;

// 5/6 memory: a 2 GB output downloaded, fetched back as an input, and uploaded, with the server's RSS.
internal sealed partial class Bench
{
    private async Task MemoryAsync()
    {
        var m = _report.Memory;
        const long FrameBytes = 1920L * 1080 * 3 / 2;
        var frames = (long)Math.Ceiling(cfg.BigMb * 1048576.0 / FrameBytes);
        Say($"5/6 memory: a {cfg.BigMb} MB stored file ({frames} raw 1080p frames), downloaded, then fetched back as an input");
        var make = ServerProcess.Job(new Dictionary<string, string>(), new Dictionary<string, string> { ["out_big"] = "big.nut" },
            $"-f lavfi -i color=c=gray:s=1920x1080:r=25 -frames:v {frames} -c:v rawvideo -pix_fmt yuv420p {{{{out_big}}}}");
        var (made, _) = await _server!.WaitAsync(await _server.SubmitAsync(make), 100, TimeSpan.FromMinutes(5));
        ServerProcess.EnsureSuccess("2 GB output job", made);
        var url = made.StorageUrls["out_big"];
        var key = Uri.UnescapeDataString(new Uri(url).AbsolutePath["/storage/".Length..]);
        _bigPath = Path.Combine(_server.DataDir, "blobs", key);
        m.Bytes = new FileInfo(_bigPath).Length;

        // Download through the signed storage URL.
        await Task.Delay(1000);
        m.DownloadBeforeMb = _rss!.NowMb();
        using (var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) })
        {
            var t0 = Stopwatch.GetTimestamp();
            using var r = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            r.EnsureSuccessStatusCode();
            await using var body = await r.Content.ReadAsStreamAsync();
            var buffer = new byte[1 << 20];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                total += n;
            }
            var t1 = Stopwatch.GetTimestamp();
            Check(total == m.Bytes, $"download returned {total} bytes, expected {m.Bytes}");
            m.DownloadSeconds = Stats.Ms(t0, t1) / 1000;
            m.DownloadPeakMb = _rss.MaxMb(t0, t1);
            m.DownloadSamples = _rss.Count(t0, t1);
        }
        await Task.Delay(2000);
        m.DownloadAfterMb = _rss.NowMb();

        // The server fetches the same file as an input from the loopback file server (the streaming path uploads will use).
        m.FetchBeforeMb = _rss.NowMb();
        var fetch = ServerProcess.Job(new Dictionary<string, string> { ["in_big"] = $"{_filesUrl}/big/big.nut" },
            new Dictionary<string, string> { ["out_one"] = "one.nut" }, "-i {{in_big}} -frames:v 1 -c copy {{out_one}}");
        var f0 = Stopwatch.GetTimestamp();
        var (fetched, f1) = await _server.WaitAsync(await _server.SubmitAsync(fetch), 20, TimeSpan.FromMinutes(5));
        ServerProcess.EnsureSuccess("2 GB input job", fetched);
        m.FetchJobSeconds = Stats.Ms(f0, f1) / 1000;
        m.FetchPeakMb = _rss.MaxMb(f0, f1);
        m.FetchSamples = _rss.Count(f0, f1);
        await Task.Delay(2000);
        m.FetchAfterMb = _rss.NowMb();

        // Uploaded through the files API (multipart, one field "file"): streamed to the blob store, never held in memory.
        m.UploadBeforeMb = _rss.NowMb();
        string fileId;
        var u0 = Stopwatch.GetTimestamp();
        using (var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl), Timeout = TimeSpan.FromMinutes(10) })
        {
            client.DefaultRequestHeaders.Add("X-API-KEY", _server.ApiKey);
            fileId = await UploadAsync(client, _bigPath, "big.nut", "application/octet-stream");
            var u1 = Stopwatch.GetTimestamp();
            m.UploadSeconds = Stats.Ms(u0, u1) / 1000;
            m.UploadPeakMb = _rss.MaxMb(u0, u1);
            m.UploadSamples = _rss.Count(u0, u1);
            await Task.Delay(2000);
            m.UploadAfterMb = _rss.NowMb();
            // The uploaded copy is 2 GB of disk: gone once measured.
            using var del = await client.DeleteAsync($"/api/v1/files/{fileId}");
        }
    }
}
