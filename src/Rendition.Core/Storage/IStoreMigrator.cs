namespace Rendition.Core.Storage;

/// <summary>Brings the configured job store's schema up to date; safe to call from several processes at once.</summary>
public interface IStoreMigrator
{
    Task MigrateAsync(CancellationToken ct);
}
