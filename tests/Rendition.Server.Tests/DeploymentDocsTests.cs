using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>
/// The deployment docs, the Dockerfile and the README cannot drift from the settings the server reads: every
/// <c>RENDITION_*</c> name they mention is one <see cref="RenditionSettings"/> reads, every example value is one it accepts,
/// and the README's configuration covers every setting.
/// </summary>
public sealed partial class DeploymentDocsTests
{
    private static readonly string[] DeploymentFiles = ["docs/deploy.md", "Dockerfile", "README.md"];

    [GeneratedRegex(@"RENDITION_[A-Z0-9_]*[A-Z0-9](_\*)?")]
    private static partial Regex SettingName();

    // RENDITION_X: value (YAML), name: RENDITION_X, value: v (Kubernetes env), RENDITION_X=value (shell, ENV, systemd).
    [GeneratedRegex(@"^\s*(RENDITION_[A-Z0-9_]+):\s*(.+?)\s*(?:\s#.*)?$", RegexOptions.Multiline)]
    private static partial Regex YamlPair();

    [GeneratedRegex(@"name:\s*(RENDITION_[A-Z0-9_]+),\s*value:\s*(""[^""]*""|[^\s}]+)")]
    private static partial Regex NameValuePair();

    [GeneratedRegex(@"(RENDITION_[A-Z0-9_]+)=(""[^""]*""|[^\s""`]+)")]
    private static partial Regex AssignedPair();

    /// <summary>Every setting name <see cref="RenditionSettings.Load"/> looks up, recorded as it reads them (with and without S3, whose details are read only then).</summary>
    private static HashSet<string> KnownSettings()
    {
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var values in new[]
        {
            new Dictionary<string, string?>(),
            new Dictionary<string, string?> { ["RENDITION_S3_BUCKET"] = "rendition" },
        })
        {
            var config = new ConfigurationBuilder().Add(new RecordingSource(read, values)).Build();
            RenditionSettings.Load(config);
        }
        read.RemoveWhere(k => !k.StartsWith("RENDITION_", StringComparison.Ordinal));
        // Read outside Load: by `rendition worker` before its host exists, and by the command-line client.
        read.UnionWith([RenditionSettings.OpsUrlVariable, Cli.ClientCommands.ServerVariable, Cli.ClientCommands.KeyVariable]);
        return read;
    }

    private static string Read(string relative) => File.ReadAllText(Path.Combine(Repo.Root, relative));

    [Fact]
    public void TheRecordedSettings_AreTheOnesTheServerReads()
    {
        var known = KnownSettings();
        // The recorder sees lookups that happen only on some paths too.
        Assert.Contains("RENDITION_POSTGRES", known);
        Assert.Contains("RENDITION_S3_FORCE_PATH_STYLE", known);
        Assert.Contains("RENDITION_SHUTDOWN_GRACE_SECONDS", known);
        Assert.DoesNotContain("RENDITION_NO_SUCH_SETTING", known);
    }

    [Theory]
    [InlineData("docs/deploy.md")]
    [InlineData("Dockerfile")]
    [InlineData("README.md")]
    public void EverySettingNamed_IsOneTheServerReads(string file)
    {
        var known = KnownSettings();
        var text = Read(file);
        var unknown = SettingName().Matches(text)
            .Select(m => m.Value)
            .Where(name => name.EndsWith("_*", StringComparison.Ordinal)
                ? !known.Any(k => k.StartsWith(name[..^1], StringComparison.Ordinal))
                : !known.Contains(name))
            .Distinct()
            .ToList();
        Assert.True(unknown.Count == 0, $"{file} names settings the server does not read: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void EveryExampleValue_IsAcceptedByTheServer()
    {
        var pairs = DeploymentFiles
            .SelectMany(f => new[] { YamlPair(), NameValuePair(), AssignedPair() }.SelectMany(r => r.Matches(Read(f))).Select(m => (File: f, Name: m.Groups[1].Value, Value: m.Groups[2].Value.Trim().TrimEnd(',', ';', ':', ')').Trim('"').TrimEnd('\\').Trim())))
            // Placeholders for secrets and elided values are not examples.
            .Where(p => p.Value.Length > 0 && !p.Value.Contains('$', StringComparison.Ordinal) && !p.Value.Contains("...", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.Contains(pairs, p => p.Name == "RENDITION_WORKERS" && p.Value == "0");
        Assert.Contains(pairs, p => p.Name == "RENDITION_POSTGRES");
        foreach (var (file, name, value) in pairs)
        {
            // S3 details are only valid with a bucket, and the key pair only together.
            var values = new Dictionary<string, string?>
            {
                ["RENDITION_S3_BUCKET"] = "rendition",
                ["RENDITION_S3_ACCESS_KEY"] = "a",
                ["RENDITION_S3_SECRET_KEY"] = "b",
                [name] = value,
            };
            var e = Record.Exception(() => RenditionSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build()));
            Assert.True(e is null, $"{file}: {name}={value} is refused: {e?.Message}");
        }
    }

    [Fact]
    public void TheReadme_DocumentsEverySetting()
    {
        var readme = Read("README.md");
        var missing = KnownSettings().Where(k => !readme.Contains($"`{k}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"README.md does not document: {string.Join(", ", missing)}");
    }

    [Fact]
    public void TheDockerfile_RunsTheServerAsTheDocsSay()
    {
        var dockerfile = Read("Dockerfile");
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"rendition.dll\"]", dockerfile, StringComparison.Ordinal);
        Assert.Contains("CMD [\"serve\"]", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080", dockerfile, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^USER \w+", dockerfile);
        Assert.Contains("apt-get install -y --no-install-recommends ffmpeg bubblewrap", dockerfile, StringComparison.Ordinal);
        // The image listens beyond localhost (the server's own default), on the port it exposes.
        Assert.Contains("ASPNETCORE_URLS=http://0.0.0.0:8080", dockerfile, StringComparison.Ordinal);
    }

    /// <summary>An in-memory configuration that records every key looked up.</summary>
    private sealed class RecordingSource(HashSet<string> read, IDictionary<string, string?> values) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(read, values);

        private sealed class Provider(HashSet<string> read, IDictionary<string, string?> values) : ConfigurationProvider
        {
            public override bool TryGet(string key, out string? value)
            {
                read.Add(key);
                return values.TryGetValue(key, out value);
            }
        }
    }
}
