using System.Diagnostics;
using System.Text;
using Rendition.Bench;

// 5d memory: what a hostile upload (one huge ;FFMETADATA1 title=) makes the server hold until it is stored.
internal sealed partial class Bench
{
    /// <summary>
    /// 5d (issue 17): an <c>;FFMETADATA1</c> file of one huge <c>title=</c> uploaded through the files API. ffprobe reads it
    /// as media, so the probe that describes it is where a server that keeps a tool's whole output would grow (830 MB for
    /// 100 MB). RSS from before the upload until the file is STORED (or FAILED), probe included.
    /// </summary>
    private async Task MetadataAsync()
    {
        var m = _report.Metadata;
        Say($"5d memory: a {cfg.MetadataMb} MB ;FFMETADATA1 upload with one huge title=, upload → STORED");
        var path = Path.Combine(Dir("inputs"), "metadata.txt");
        await using (var file = File.Create(path))
        {
            await file.WriteAsync(Encoding.ASCII.GetBytes(";FFMETADATA1\ntitle="));
            var chunk = Encoding.ASCII.GetBytes(new string('A', 1 << 20));
            for (var i = 0; i < cfg.MetadataMb; i++)
            {
                await file.WriteAsync(chunk);
            }
            await file.WriteAsync("\n"u8.ToArray());
        }
        m.Bytes = new FileInfo(path).Length;
        await Task.Delay(1000);
        m.BeforeMb = _rss!.NowMb();
        using var client = new HttpClient { BaseAddress = new Uri(_server!.BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("X-API-KEY", _server.ApiKey);
        var t0 = Stopwatch.GetTimestamp();
        var fileId = await UploadAsync(client, path, "metadata.txt", "text/plain");
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 300);
        while (true)
        {
            using var r = await client.GetAsync($"/api/v1/files/{fileId}");
            using var doc = System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            m.Status = doc.RootElement.GetProperty("status").GetString() ?? "";
            if (m.Status != "PROCESSING")
            {
                break;
            }
            Check(Stopwatch.GetTimestamp() < deadline, "the metadata upload was still PROCESSING after 5 minutes");
            await Task.Delay(50);
        }
        var t1 = Stopwatch.GetTimestamp();
        m.Seconds = Stats.Ms(t0, t1) / 1000;
        m.PeakMb = _rss.MaxMb(t0, t1);
        m.Samples = _rss.Count(t0, t1);
        await Task.Delay(2000);
        m.AfterMb = _rss.NowMb();
        using (await client.DeleteAsync($"/api/v1/files/{fileId}"))
        {
        }
        File.Delete(path);
    }
}
