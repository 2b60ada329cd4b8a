using Npgsql;

namespace Rendition.Testing;

/// <summary>Fresh databases on the PostgreSQL cluster `make test` starts (RENDITION_TEST_POSTGRES); without it these tests fail, never skip.</summary>
public static class TestPostgres
{
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("RENDITION_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("RENDITION_TEST_POSTGRES is not set: run the tests with `make test`, which starts a private PostgreSQL cluster.");

    /// <summary>Creates an empty database (on the shared test cluster, or the one <paramref name="adminConnectionString"/> reaches) and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? adminConnectionString = null)
    {
        adminConnectionString ??= AdminConnectionString;
        var name = $"rendition_server_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }
}
