using System.Net.Sockets;
using Npgsql;
using Rendition.Core;

namespace Rendition.Data.Postgres;

/// <summary>
/// Npgsql's errors that mean PostgreSQL cannot serve now: it is unreachable, starting, shutting down or restarting, out
/// of connections, disk or memory. Recognising one also clears the pool: a restart leaves every idle pooled connection
/// dead, and each would otherwise fail one more request before a fresh connection is opened.
/// </summary>
public sealed class PostgresOutages(PostgresDatabase db) : IOutageClassifier
{
    public DependencyOutage? Classify(Exception exception)
    {
        var reason = exception switch
        {
            PostgresException pg => Reason(pg.SqlState),
            NpgsqlException { IsTransient: true } npgsql => npgsql.InnerException switch
            {
                SocketException socket => $"PostgreSQL cannot be reached ({socket.SocketErrorCode})",
                TimeoutException => "PostgreSQL did not answer in time, or the connection pool is exhausted",
                _ => "the connection to PostgreSQL broke",
            },
            _ => null,
        };
        if (reason is null)
        {
            return null;
        }
        db.DataSource.Clear();
        return new DependencyOutage(Dependencies.Database, reason);
    }

    private static string? Reason(string state) => state switch
    {
        "57P01" or "57P02" => "PostgreSQL is shutting down or restarting",
        "57P03" => "PostgreSQL is starting up and cannot accept connections yet",
        "53300" => "PostgreSQL has no free connections",
        "53100" => "the disk holding PostgreSQL's data is full",
        _ when state.StartsWith("08", StringComparison.Ordinal) => "the connection to PostgreSQL failed",
        _ when state.StartsWith("53", StringComparison.Ordinal) => "PostgreSQL is out of resources",
        _ when state.StartsWith("58", StringComparison.Ordinal) => "PostgreSQL had a system or I/O error",
        _ => null,
    };
}
