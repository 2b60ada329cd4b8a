using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>The RenderIO quick-start examples (SeedExamples/), run unchanged but for the base URL, against a real server.</summary>
[Collection("server")]
public sealed class SeedExampleTests(ServerFixture fx)
{
    [Theory]
    [InlineData("quickstart.sh", true)]
    [InlineData("quickstart.py", true)]
    [InlineData("quickstart.mjs", false)]
    [InlineData("quickstart.ts", false)]
    [InlineData("quickstart.php", true)]
    public async Task QuickStartExample_RunsUnchangedAgainstRendition(string example, bool downloads)
    {
        var source = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "SeedExamples", example));
        var script = source
            .Replace("https://api.renderio.dev", fx.Server.BaseUrl, StringComparison.Ordinal)
            .Replace("https://renderio.dev", fx.Server.BaseUrl, StringComparison.Ordinal)
            // The example's input host is not reachable from a test machine; serve a real file instead.
            .Replace("https://example.com/sample.mp4", fx.Inputs.Url("small.mp4"), StringComparison.Ordinal);
        Assert.NotEqual(source, script);
        var dir = Directory.CreateTempSubdirectory("rendition-seed-").FullName;
        try
        {
            var path = Path.Combine(dir, example);
            await File.WriteAllTextAsync(path, script);
            var env = new Dictionary<string, string> { ["RENDERIO_API_KEY"] = RenditionTestServer.ApiKey };
            var (exit, stdout, stderr) = example switch
            {
                "quickstart.sh" => await TestMedia.RunAsync("bash", [path], env, dir),
                "quickstart.py" => await TestMedia.RunAsync("python3", [path], env, dir),
                "quickstart.mjs" => await TestMedia.RunAsync("node", [path], env, dir),
                "quickstart.php" => await TestMedia.RunAsync("php", [path], env, dir),
                _ => await RunTypeScriptAsync(path, env, dir),
            };
            Assert.True(exit == 0, $"{example} exited {exit}\nstdout: {stdout}\nstderr: {stderr}");
            Assert.Contains("Status: SUCCESS", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Status: FAILED", stdout, StringComparison.Ordinal);
            if (downloads)
            {
                var webm = Path.Combine(dir, "converted.webm");
                Assert.True(File.Exists(webm), $"{example} did not save converted.webm\n{stdout}");
                var probe = await TestMedia.ProbeAsync(webm);
                Assert.Equal("vp9", probe.GetProperty("streams")[0].GetProperty("codec_name").GetString());
            }
            else
            {
                Assert.Contains("Download URL: " + fx.Server.BaseUrl + "/storage/", stdout, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Compiles with tsc and runs the JavaScript; tsc's complaints about Node's types (no @types/node here) do not stop it emitting.</summary>
    private static async Task<(int, string, string)> RunTypeScriptAsync(string path, Dictionary<string, string> env, string dir)
    {
        var (_, tscOut, tscErr) = await TestMedia.RunAsync("tsc", ["--target", "es2022", "--module", "es2022", "--outDir", Path.Combine(dir, "js"), path], null, dir);
        var js = Path.Combine(dir, "js", "quickstart.js");
        Assert.True(File.Exists(js), $"tsc emitted nothing: {tscOut} {tscErr}");
        var mjs = Path.ChangeExtension(js, ".mjs");
        File.Move(js, mjs);
        return await TestMedia.RunAsync("node", [mjs], env, dir);
    }
}
