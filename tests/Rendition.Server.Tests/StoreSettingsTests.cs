using Microsoft.Extensions.Configuration;

namespace Rendition.Server.Tests;

/// <summary>The settings that choose and tune the job store.</summary>
public sealed class StoreSettingsTests
{
    /// <summary>Options as the server reads them from these settings alone.</summary>
    internal static Core.RenditionOptions Load(params (string Key, string Value)[] values) =>
        RenditionSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void Defaults_AreTheEmbeddedStore_WithThirtySecondLeases()
    {
        var options = Load();
        Assert.Null(options.PostgresConnectionString);
        Assert.False(options.SharedJobStore);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseDuration);
    }

    [Fact]
    public void PerAccountCap_IsTheWorkerCountOnOneNode_AndNoneOnASharedStore_UnlessSet()
    {
        Assert.Equal(3, Load(("RENDITION_WORKERS", "3")).MaxConcurrentJobsPerAccount);
        // Cluster-wide on PostgreSQL: one process's slot count would cap every worker of the cluster together.
        Assert.Equal(100_000, Load(("RENDITION_WORKERS", "1"), ("RENDITION_POSTGRES", "Host=db;Username=r")).MaxConcurrentJobsPerAccount);
        Assert.Equal(4, Load(("RENDITION_WORKERS", "1"), ("RENDITION_POSTGRES", "Host=db;Username=r"), ("RENDITION_MAX_CONCURRENT_JOBS_PER_ACCOUNT", "4")).MaxConcurrentJobsPerAccount);
    }

    [Fact]
    public void Postgres_MakesTheStoreShared_AndLeaseSecondsAreRead()
    {
        var options = Load(("RENDITION_POSTGRES", "Host=db;Username=r;Password=secret"), ("RENDITION_LEASE_SECONDS", "12"));
        Assert.True(options.SharedJobStore);
        Assert.Equal(TimeSpan.FromSeconds(12), options.LeaseDuration);
        // Swept for expired leases a few times per lease, never less often than every 5 s.
        Assert.Equal(TimeSpan.FromSeconds(5), Execution.JobWorkerService.RequeueInterval(options.LeaseDuration));
        Assert.Equal(TimeSpan.FromSeconds(3), Execution.JobWorkerService.RequeueInterval(TimeSpan.FromSeconds(6)));
    }

    [Theory]
    [InlineData("RENDITION_LEASE_SECONDS", "2")]
    [InlineData("RENDITION_LEASE_SECONDS", "soon")]
    [InlineData("RENDITION_POSTGRES", "Host=db;NoSuchKeyword=1;Password=hunter2")]
    public void BadStoreSettings_StopTheStart_WithoutEchoingSecrets(string key, string value)
    {
        var e = Assert.Throws<SettingsException>(() => Load((key, value)));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }
}
