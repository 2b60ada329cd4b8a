using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Server.Commands;

/// <summary>
/// Finding an account's command by its public id, the same way in every service: an id that is not one, or another
/// account's command, is simply not found.
/// </summary>
internal static class CommandLookup
{
    public static Problem NotFound(string commandId) => Problem.NotFound($"Command {commandId}");

    /// <summary>The account's command with its files.</summary>
    public static async Task<Outcome<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>> FindAsync(this ICommandStore store, Account account,
        string commandId, CancellationToken ct) =>
        Guid.TryParse(commandId, out var id) && await store.GetAsync(account.Id, id, ct) is { } found ? found : NotFound(commandId);

    /// <summary>The account's command once it has finished; while it runs, a conflict saying <paramref name="whileRunning"/>.</summary>
    public static async Task<Outcome<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>> FindFinishedAsync(this ICommandStore store, Account account,
        string commandId, string whileRunning, CancellationToken ct)
    {
        var found = await store.FindAsync(account, commandId, ct);
        return found.Problem is null && !CommandStatus.IsFinal(found.Value.Command.Status) ? Problem.Conflict(whileRunning) : found;
    }
}
