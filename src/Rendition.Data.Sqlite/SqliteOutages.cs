using Microsoft.Data.Sqlite;
using Rendition.Core;

namespace Rendition.Data.Sqlite;

/// <summary>
/// SQLite's errors that mean the database cannot serve now rather than a bug: locked past the busy timeout (another
/// process, a backup), out of disk or memory, an I/O error, or a file that cannot be opened (a volume gone).
/// </summary>
public sealed class SqliteOutages : IOutageClassifier
{
    // Primary result codes (the low byte of extended ones such as SQLITE_IOERR_WRITE).
    private const int Busy = 5;
    private const int Locked = 6;
    private const int NoMemory = 7;
    private const int IoError = 10;
    private const int Full = 13;
    private const int CantOpen = 14;

    public DependencyOutage? Classify(Exception exception) =>
        exception is SqliteException e && Reason(e.SqliteErrorCode & 0xFF) is { } reason ? new DependencyOutage(Dependencies.Database, reason) : null;

    private static string? Reason(int code) => code switch
    {
        Busy or Locked => "the SQLite database stayed locked past the busy timeout",
        NoMemory => "SQLite ran out of memory",
        IoError => "SQLite had an I/O error reading or writing the database",
        Full => "the disk holding the SQLite database is full",
        CantOpen => "the SQLite database file cannot be opened",
        _ => null,
    };
}
