using System.Globalization;
using Npgsql;

namespace Rendition.Testing;

/// <summary>
/// A PostgreSQL cluster of the test's own (initdb in a temp directory, a free loopback port, its socket in that
/// directory, run as <c>nobody</c> when the tests run as root, as scripts/test-postgres.sh does), which a test may stop
/// and start again on the same port and data: the database outage and restart scenarios need one nobody else uses.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly string[] _runAs;

    private PrivatePostgres(string bin, string dir, string[] runAs, int port)
    {
        _bin = bin;
        _dir = dir;
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    /// <summary>True between a start and a stop.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>The cluster's maintenance database, as its superuser <c>rendition</c>.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=rendition;Database=postgres;Timeout=15";

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>Creates the cluster and starts it; fails (never skips) when the server binaries are missing.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderByDescending(b => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : new Version(0, 0)).FirstOrDefault()
            : null;
        Assert.True(bin is not null, "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql; `make test` installs it).");
        var dir = Directory.CreateTempSubdirectory("rendition-pg-private-").FullName;
        // PostgreSQL refuses to run as root: then it runs as nobody, which must own its directory.
        var root = Environment.UserName == "root";
        string[] runAs = root ? ["runuser", "-u", "nobody", "--"] : [];
        Directory.CreateDirectory(Path.Combine(dir, "sock"));
        if (root)
        {
            await RunOrFailAsync(["chown", "-R", "nobody", dir]);
        }
        var cluster = new PrivatePostgres(bin!, dir, runAs, LoopbackPort.Free());
        try
        {
            await cluster.RunAsAsync("initdb", "-D", cluster.DataDir, "-U", "rendition", "-A", "trust", "-E", "UTF8", "--no-sync");
            await cluster.StartServerAsync();
        }
        catch
        {
            // pg_ctl may have left a server behind even when it reported failure (a slow start past its wait).
            cluster.IsRunning = true;
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Starts (again) on the same port and data; returns once it accepts connections.</summary>
    public async Task StartServerAsync()
    {
        // Durability is pointless for a throwaway cluster.
        await RunAsAsync("pg_ctl", "-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "30", "start", "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {Path.Combine(_dir, "sock")} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
        IsRunning = true;
    }

    /// <summary>Stops the server: <c>fast</c> (clients are disconnected, as a restart does) or <c>immediate</c> (as a crash).</summary>
    public async Task StopServerAsync(string mode = "fast")
    {
        await RunAsAsync("pg_ctl", "-D", DataDir, "-m", mode, "-w", "-t", "30", "stop");
        IsRunning = false;
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync() => TestPostgres.CreateDatabaseAsync(AdminConnectionString);

    /// <summary>The server's log, for assertion messages.</summary>
    public string Log()
    {
        var path = Path.Combine(_dir, "server.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    private Task RunAsAsync(string tool, params string[] args) => RunOrFailAsync([.. _runAs, Path.Combine(_bin, tool), .. args]);

    private static async Task RunOrFailAsync(string[] command)
    {
        var (exit, stdout, stderr) = await TestMedia.RunAsync(command[0], command[1..]);
        Assert.True(exit == 0, $"{string.Join(' ', command)} failed ({exit}): {stdout}{stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (IsRunning)
        {
            string[] stop = [.. _runAs, Path.Combine(_bin, "pg_ctl"), "-D", DataDir, "-m", "immediate", "-w", "stop"];
            await TestMedia.RunAsync(stop[0], stop[1..]);
            IsRunning = false;
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
