using System.Diagnostics;
using System.Globalization;

namespace Rendition.Testing;

/// <summary>
/// An S3-compatible server of the test's own (tests/s3/server.js: s3rver with SigV4 checks) on a fixed loopback port and
/// data directory, which a test may stop (as a crash: SIGKILL) and start again with its objects intact.
/// </summary>
public sealed class PrivateS3 : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly string _dir;
    private Process? _process;

    private PrivateS3(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The server settings that store blobs in <paramref name="bucket"/> on this server.</summary>
    public Dictionary<string, string?> ServerSettings(string bucket) => new()
    {
        ["RENDITION_S3_BUCKET"] = bucket,
        ["RENDITION_S3_ENDPOINT"] = Endpoint.ToString(),
        ["RENDITION_S3_REGION"] = "us-east-1",
        ["RENDITION_S3_ACCESS_KEY"] = AccessKey,
        ["RENDITION_S3_SECRET_KEY"] = SecretKey,
        ["RENDITION_S3_FORCE_PATH_STYLE"] = "true",
    };

    public static async Task<PrivateS3> StartAsync()
    {
        var s3 = new PrivateS3(Directory.CreateTempSubdirectory("rendition-s3-private-").FullName, LoopbackPort.Free());
        Directory.CreateDirectory(Path.Combine(s3._dir, "data"));
        try
        {
            await s3.StartServerAsync();
        }
        catch
        {
            await s3.DisposeAsync();
            throw;
        }
        return s3;
    }

    /// <summary>Starts (again) on the same port and data; returns once it listens.</summary>
    public async Task StartServerAsync()
    {
        var script = Path.Combine(Repo.Root, "tests", "s3", "server.js");
        Assert.True(File.Exists(Path.Combine(Repo.Root, "tests", "s3", "node_modules", "s3rver", "package.json")),
            "s3rver is not installed in tests/s3: run scripts/ensure-deps.sh test (make test does).");
        var portFile = Path.Combine(_dir, "port");
        File.Delete(portFile);
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, Path.Combine(_dir, "data"), portFile, Port.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(arg);
        }
        _process = Process.Start(psi)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(portFile) || new FileInfo(portFile).Length == 0)
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                var why = _process.HasExited ? $"exited ({_process.ExitCode})" : "did not listen within 20 s";
                await StopServerAsync();
                Assert.Fail($"the test S3 server {why} on port {Port}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Kills the server (no goodbye to its clients); its stored objects stay on disk.</summary>
    public async Task StopServerAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
