namespace Rendition.Core.Tests;

public class OutagesTests
{
    private sealed class Recognises<T>(string dependency) : IOutageClassifier
        where T : Exception
    {
        public DependencyOutage? Classify(Exception exception) => exception is T ? new DependencyOutage(dependency, exception.Message) : null;
    }

    [Fact]
    public void Find_LooksThroughWrappingAndAggregates_ForAThrownOrRecognisedOutage()
    {
        IOutageClassifier[] classifiers = [new Recognises<TimeoutException>(Dependencies.Database)];
        var thrown = new DependencyUnavailableException(Dependencies.BlobStore, "S3 cannot be reached");
        Assert.Equal(thrown.Outage, Outages.Find(new InvalidOperationException("wrapped", thrown), classifiers));
        var recognised = Outages.Find(new AggregateException(new ArgumentException("no"), new IOException("io", new TimeoutException("slow"))), classifiers);
        Assert.Equal(new DependencyOutage(Dependencies.Database, "slow"), recognised);
        Assert.Null(Outages.Find(new InvalidOperationException("a bug", new ArgumentException("bad")), classifiers));
    }

    [Fact]
    public void Outage_NamesTheDependency_InItsCodeAndClientMessage_NotTheDriversWords()
    {
        var database = new DependencyOutage(Dependencies.Database, "Failed to connect to 10.0.0.5:5432");
        Assert.Equal(ErrorCodes.ServiceUnavailable, database.ErrorCode);
        Assert.StartsWith("The database is temporarily unavailable", database.ClientMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.5", database.ClientMessage, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.StorageUnavailable, new DependencyOutage(Dependencies.BlobStore, "x").ErrorCode);
    }

    [Fact]
    public void Health_IsDownFromTheFirstOutageUntilReportedAvailable()
    {
        var health = new DependencyHealth(TimeProvider.System);
        health.ThrowIfDown(Dependencies.BlobStore);
        health.ReportOutage(new DependencyOutage(Dependencies.BlobStore, "refused"));
        health.ReportOutage(new DependencyOutage(Dependencies.BlobStore, "timed out"));
        var e = Assert.Throws<DependencyUnavailableException>(() => health.ThrowIfDown(Dependencies.BlobStore));
        Assert.Equal(new DependencyOutage(Dependencies.BlobStore, "timed out"), e.Outage);
        Assert.Equal([Dependencies.BlobStore], health.Down);
        health.ThrowIfDown(Dependencies.Database);
        Assert.True(health.ReportAvailable(Dependencies.BlobStore));
        Assert.False(health.ReportAvailable(Dependencies.BlobStore));
        health.ThrowIfDown(Dependencies.BlobStore);
    }
}
