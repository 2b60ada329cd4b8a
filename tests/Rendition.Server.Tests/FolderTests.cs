using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>Rendi's dynamic files: <c>"output_files": "OUTPUT_FOLDER"</c> and <c>input_compressed_folder</c>, end to end.</summary>
[Collection("server")]
public sealed class FolderTests(ServerFixture fx)
{
    private const string Rendi = "/v1/run-ffmpeg-command";

    /// <summary>Writes a zip into the input server's directory and returns its URL.</summary>
    private string ServeZip(string name, Action<ZipArchive> fill)
    {
        using (var zip = ZipFile.Open(Path.Combine(fx.MediaDir, name), ZipArchiveMode.Create))
        {
            fill(zip);
        }
        return fx.Inputs.Url(name);
    }

    private static void AddFile(ZipArchive zip, string entryName, string path)
    {
        using var entry = zip.CreateEntry(entryName).Open();
        using var source = File.OpenRead(path);
        source.CopyTo(entry);
    }

    private static void AddBytes(ZipArchive zip, string entryName, byte[] bytes, int? unixMode = null)
    {
        var entry = zip.CreateEntry(entryName, CompressionLevel.SmallestSize);
        if (unixMode is { } mode)
        {
            entry.ExternalAttributes = mode << 16;
        }
        using var stream = entry.Open();
        stream.Write(bytes);
    }

    /// <summary>Three clips of 1, 1.5 and 0.5 s, zipped at the top level.</summary>
    private async Task<string> ServeThreeClipsAsync(string zipName)
    {
        var dir = Directory.CreateTempSubdirectory("rendition-clips-").FullName;
        try
        {
            var lengths = new[] { ("a.mp4", "1"), ("b.mp4", "1.5"), ("c.mp4", "0.5") };
            foreach (var (name, seconds) in lengths)
            {
                await TestMedia.GenerateAsync(Path.Combine(dir, name), "-f", "lavfi", "-i", $"testsrc2=s=160x120:r=20:d={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
            }
            return ServeZip(zipName, zip =>
            {
                foreach (var (name, _) in lengths)
                {
                    AddFile(zip, name, Path.Combine(dir, name));
                }
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Waits (briefly: cleanup follows the final status) until nothing of the command is left in the work root.</summary>
    private async Task AssertWorkCleanedAsync(string commandId)
    {
        var work = Path.Combine(fx.Server.DataDir, "work");
        var prefix = Guid.Parse(commandId).ToString("N");
        for (var i = 0; i < 50 && Directory.EnumerateFileSystemEntries(work, prefix + "*").Any(); i++)
        {
            await Task.Delay(100);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(work, prefix + "*"));
    }

    [Fact]
    public async Task FramesIntoOutputFolder_ReturnOneZipAndTheFilesOneByOne()
    {
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_1 = fx.Inputs.Url("sample.mp4") },
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-i {{in_1}} -vf fps=4,scale=64:-2 frame_%03d.png",
        }, Rendi);
        var poll = await fx.Server.WaitAsync(id, "/v1");
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        Assert.Equal("OUTPUT_FOLDER", poll["original_request"]!["output_files"]!.GetValue<string>());

        var outputs = poll["output_files"]!.AsObject();
        var zipMeta = outputs["OUTPUT_FOLDER"]!;
        Assert.Equal($"{id}.zip", zipMeta["filename"]!.GetValue<string>());
        Assert.Equal("zip", zipMeta["file_format"]!.GetValue<string>());
        Assert.Equal("application/zip", zipMeta["mime_type"]!.GetValue<string>());
        var fileCount = zipMeta["file_count"]!.GetValue<int>();
        Assert.InRange(fileCount, 7, 9); // 2 s at 4 fps
        Assert.True(zipMeta["size_compressed_mbytes"]!.GetValue<double>() > 0);
        Assert.True(zipMeta["size_mbytes"]!.GetValue<double>() > 0);

        // Every file under a generated alias, out_1… in name order; the input is not among them.
        var files = outputs.Where(kv => kv.Key != "OUTPUT_FOLDER").OrderBy(kv => int.Parse(kv.Key[4..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(fileCount, files.Count);
        Assert.Equal(Enumerable.Range(1, fileCount).Select(i => $"out_{i}"), files.Select(kv => kv.Key));
        Assert.Equal(Enumerable.Range(1, fileCount).Select(i => $"frame_{i:000}.png"), files.Select(kv => kv.Value!["filename"]!.GetValue<string>()));
        // Few enough to probe: each frame is described like any output.
        Assert.Equal(64, files[0].Value!["width"]!.GetValue<int>());

        using var download = new HttpClient();
        var zipBytes = await download.GetByteArrayAsync(zipMeta["storage_url"]!.GetValue<string>());
        Assert.Equal(zipMeta["size_compressed_mbytes"]!.GetValue<double>(), zipBytes.Length / 1048576.0, 6);
        using var zip = new ZipArchive(new MemoryStream(zipBytes));
        Assert.Equal(fileCount, zip.Entries.Count);
        Assert.Equal(files.Select(kv => kv.Value!["filename"]!.GetValue<string>()), zip.Entries.Select(e => e.FullName));
        Assert.Equal(zipMeta["size_mbytes"]!.GetValue<double>(), zip.Entries.Sum(e => e.Length) / 1048576.0, 6);

        // The individual file is the same bytes as its zip entry.
        var first = await download.GetByteArrayAsync(files[0].Value!["storage_url"]!.GetValue<string>());
        using var entry = new MemoryStream();
        await using (var entryStream = await zip.Entries[0].OpenAsync())
        {
            await entryStream.CopyToAsync(entry);
        }
        Assert.Equal(entry.ToArray(), first);
        await AssertWorkCleanedAsync(id);
    }

    [Fact]
    public async Task ManyFolderFiles_AreDescribedByName_NotProbedOneByOne()
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=16x16:r=12:d=1 img_%02d.png",
        }, Rendi), "/v1");
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var outputs = poll["output_files"]!.AsObject();
        Assert.Equal(12, outputs["OUTPUT_FOLDER"]!["file_count"]!.GetValue<int>());
        Assert.Equal(13, outputs.Count);
        var last = outputs["out_12"]!;
        Assert.Equal("img_12.png", last["filename"]!.GetValue<string>());
        Assert.Equal("image/png", last["mime_type"]!.GetValue<string>());
        Assert.Equal("png", last["file_format"]!.GetValue<string>());
        Assert.True(last["size_mbytes"]!.GetValue<double>() > 0);
    }

    [Fact]
    public async Task ZippedInputFolder_ThreeClipsConcatenated()
    {
        var url = await ServeThreeClipsAsync("three-clips.zip");
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = new { out_1 = "joined.mp4" },
            ffmpeg_command = "-i a.mp4 -i b.mp4 -i c.mp4 -filter_complex \"[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]\" -map \"[v]\" -c:v libx264 -preset ultrafast {{out_1}}",
        }, Rendi), "/v1");
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        Assert.Equal(url, poll["original_request"]!["input_compressed_folder"]!.GetValue<string>());
        var joined = Assert.Single(poll["output_files"]!.AsObject()).Value!;
        Assert.InRange(joined["duration"]!.GetValue<double>(), 2.9, 3.1);
    }

    [Fact]
    public async Task ZippedInputs_WithOutputFolder_ZipOnlyWhatTheCommandWrote()
    {
        var url = await ServeThreeClipsAsync("three-clips-folder.zip");
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-i b.mp4 -c copy copy.mp4",
        }, Rendi), "/v1");
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var outputs = poll["output_files"]!.AsObject();
        Assert.Equal(1, outputs["OUTPUT_FOLDER"]!["file_count"]!.GetValue<int>());
        Assert.Equal("copy.mp4", outputs["out_1"]!["filename"]!.GetValue<string>());
        Assert.InRange(outputs["out_1"]!["duration"]!.GetValue<double>(), 1.4, 1.6);
        Assert.Equal(2, outputs.Count);
        await AssertWorkCleanedAsync(poll["command_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnpackedInputs_AreReadOnly()
    {
        var url = await ServeThreeClipsAsync("three-clips-readonly.zip");
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 a.mp4",
        }, Rendi), "/v1");
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("FFMPEG_ERROR", poll["error_status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ZipSlipArchive_IsRefused()
    {
        var url = ServeZip("slip.zip", zip =>
        {
            AddBytes(zip, "ok.txt", [1, 2, 3]);
            AddBytes(zip, "../../escaped.txt", [4, 5, 6]);
        });
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 o.mp4",
        }, Rendi), "/v1");
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("INVALID_INPUT_ARCHIVE", poll["error_status"]!.GetValue<string>());
        Assert.Contains("'../../escaped.txt'", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("zip-slip", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(fx.Server.DataDir, "escaped.txt")));
        Assert.False(File.Exists(Path.Combine(fx.Server.DataDir, "work", "escaped.txt")));
    }

    [Fact]
    public async Task SymlinkEntry_IsRefused()
    {
        var url = ServeZip("link.zip", zip => AddBytes(zip, "passwd.txt", "/etc/passwd"u8.ToArray(), unixMode: 0xA1FF));
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 o.mp4",
        }, Rendi), "/v1");
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("INVALID_INPUT_ARCHIVE", poll["error_status"]!.GetValue<string>());
        Assert.Contains("symbolic link", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>A three-file zip whose bytes <paramref name="corrupt"/> then changes, served under <paramref name="name"/>.</summary>
    private string ServeCorruptZip(string name, Action<byte[]> corrupt, string? entryName = null)
    {
        var path = Path.Combine(fx.MediaDir, name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var entry in new[] { "a.txt", "b.txt", entryName ?? "c.txt" })
            {
                AddBytes(zip, entry, [1, 2, 3, 4, 5, 6, 7, 8]);
            }
        }
        var bytes = File.ReadAllBytes(path);
        corrupt(bytes);
        File.WriteAllBytes(path, bytes);
        return fx.Inputs.Url(name);
    }

    /// <summary>Byte offset of a zip's end-of-central-directory record (no comment: the last 22 bytes).</summary>
    private static int EndRecord(byte[] zip) => zip.Length - 22;

    public static TheoryData<string, string> CorruptArchives => new()
    {
        // The end record says one entry; the central directory holds three.
        { "lying-count", "is not a valid zip archive" },
        // One entry name of 300 characters: no file system takes it.
        { "long-name", "longer than 255 bytes" },
        // Cut in the middle: no end record at all.
        { "truncated", "is not a valid zip archive" },
        // The first local header's signature overwritten.
        { "bad-local-header", "is corrupt" },
        // The compressed data of the first entry scrambled.
        { "bad-data", "is corrupt" },
        // Not a zip at all.
        { "not-a-zip", "is not a valid zip archive" },
    };

    [Theory]
    [MemberData(nameof(CorruptArchives))]
    public async Task CorruptArchive_FailsAsInvalidInputArchive_WithTheReason(string kind, string reason)
    {
        var url = kind switch
        {
            "lying-count" => ServeCorruptZip($"{kind}.zip", z =>
            {
                z[EndRecord(z) + 8] = 1;
                z[EndRecord(z) + 10] = 1;
            }),
            "long-name" => ServeCorruptZip($"{kind}.zip", _ => { }, new string('n', 300) + ".txt"),
            "truncated" => ServeCorruptZip($"{kind}.zip", z => Array.Clear(z, z.Length / 2, z.Length - (z.Length / 2))),
            "bad-local-header" => ServeCorruptZip($"{kind}.zip", z => z[0] = (byte)'X'),
            "bad-data" => ServeCorruptZip($"{kind}.zip", z => z.AsSpan(30 + "a.txt".Length, 6).Fill(0xFF)),
            _ => ServeCorruptZip($"{kind}.zip", z => z.AsSpan().Fill((byte)'z')),
        };
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 o.mp4",
        }, Rendi), "/v1");
        Assert.True(poll["status"]!.GetValue<string>() == "FAILED", poll.ToJsonString());
        Assert.True(poll["error_status"]!.GetValue<string>() == "INVALID_INPUT_ARCHIVE", poll.ToJsonString());
        Assert.Contains(reason, poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("input_compressed_folder", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZipBomb_AndTooManyFolderFiles_AreRefusedUnderLoweredLimits()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_MAX_INPUT_ARCHIVE_MB"] = "50",
            ["RENDITION_MAX_OUTPUT_FILES"] = "5",
        });
        // 200 MB of zeros deflates to about 200 KB.
        var url = ServeZip("bomb.zip", zip =>
        {
            using var entry = zip.CreateEntry("zeros.bin", CompressionLevel.SmallestSize).Open();
            var chunk = new byte[1 << 20];
            for (var i = 0; i < 200; i++)
            {
                entry.Write(chunk);
            }
        });
        Assert.True(new FileInfo(Path.Combine(fx.MediaDir, "bomb.zip")).Length < 2 << 20);
        var poll = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_compressed_folder = url,
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 o.mp4",
        }, Rendi), "/v1");
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("INVALID_INPUT_ARCHIVE", poll["error_status"]!.GetValue<string>());
        Assert.Contains("more than 50 MB", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Twenty frames written faster than the watcher looks are still caught before anything is stored.
        var many = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = "-f lavfi -i testsrc2=s=16x16:r=20:d=1 f_%03d.png",
        }, Rendi), "/v1");
        Assert.Equal("FAILED", many["status"]!.GetValue<string>());
        Assert.Equal("RESOURCE_LIMIT", many["error_status"]!.GetValue<string>());
        Assert.Contains("5 files", many["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(many["output_files"]!.AsObject());
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { """{"input_files":{"in_1":"https://example.com/a.mp4"},"output_files":"FOLDER","ffmpeg_command":"-i {{in_1}} f.png"}""", "output_files", "OUTPUT_FOLDER" },
        { """{"input_files":{"in_1":"https://example.com/a.mp4"},"output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i {{in_1}} {{out_1}}"}""", "ffmpeg_command", "no out_ aliases" },
        { """{"input_compressed_folder":"https://example.com/in.zip","input_files":{"in_1":"https://example.com/a.mp4"},"output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i {{in_1}} f.png"}""", "input_compressed_folder", "cannot be combined with input_files" },
        { """{"input_compressed_folder":"file:///etc/passwd","output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i a.mp4 f.png"}""", "input_compressed_folder", "http or https" },
        { """{"input_compressed_folder":"https://example.com/in.zip","output_files":"OUTPUT_FOLDER","ffmpeg_command":"-i {{in_1}} f.png"}""", "ffmpeg_command", "no in_ aliases" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task NonsensicalCombinations_Are422(string body, string field, string message)
    {
        foreach (var path in new[] { Rendi, "/api/v1/run-ffmpeg-command" })
        {
            var response = await fx.Server.Http.PostAsync(path, RenditionTestServer.Json(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 422, text);
            var error = JsonNode.Parse(text)!;
            Assert.Equal("VALIDATION_ERROR", error["error"]!.GetValue<string>());
            Assert.Contains(error["details"]!.AsArray(), d => d!["field"]!.GetValue<string>() == field && d["message"]!.GetValue<string>().Contains(message, StringComparison.Ordinal));
        }
    }
}
