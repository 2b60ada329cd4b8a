using System.Runtime.CompilerServices;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Execution;

namespace Rendition.Server.Commands;

/// <summary>An <c>Idempotency-Key</c> and the hash of the request it came with (the same key with another request is refused).</summary>
public sealed record IdempotencyRequest(string Key, string RequestHash);

/// <summary>How a submission is made: in which API's shapes, under which idempotency key, and how long to wait for a single command to end.</summary>
public sealed record SubmitOptions(ApiFlavor Flavor, IdempotencyRequest? Idempotency = null, TimeSpan Wait = default);

/// <summary>
/// An accepted submission: its command ids, the answer it got (JSON; an idempotent retry gets the same again, then
/// <see cref="Replayed"/>), and the final poll object when it was waited for and ended in time.
/// </summary>
public sealed record Submitted(IReadOnlyList<string> CommandIds, string AnswerJson, CommandPollResponse? Finished, bool Replayed);

/// <summary>
/// The command use cases, for every door (HTTP API, MCP tools, console, CLI): submit (validated, stored durably before the
/// answer, idempotent under a key), poll, wait, follow, cancel, list, read the log, delete the outputs. Callers pass the
/// account and public ids; problems come back as <see cref="Problem"/>s, never as exceptions or HTTP results.
/// </summary>
public sealed class CommandService(
    ICommandStore store,
    IBlobStore blobs,
    IJobSignal signal,
    CommandValidator validator,
    WireViews views,
    JobRuntime runtime,
    JobCompletion completion,
    TimeProvider time)
{
    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
    private static readonly TimeSpan WaitFallbackPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FollowFallbackPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CancelSettle = TimeSpan.FromSeconds(3);

    private static readonly string[] Statuses = [CommandStatus.Queued, CommandStatus.Processing, CommandStatus.Success, CommandStatus.Failed];

    /// <summary>Submits one command (<paramref name="chained"/>: <c>ffmpeg_commands</c> run in order in one job).</summary>
    public Task<Outcome<Submitted>> SubmitAsync(Account account, SubmitCommandRequest request, bool chained, SubmitOptions options, CancellationToken ct) =>
        SubmitBuiltAsync(account, () => [Build(account, request, options.Flavor, chained)], options, ct);

    /// <summary>Submits a batch of independent commands, validated all or none (RenderIO's run-multiple).</summary>
    public Task<Outcome<Submitted>> SubmitMultipleAsync(Account account, SubmitMultipleRequest request, SubmitOptions options, CancellationToken ct) =>
        SubmitBuiltAsync(account, () => [.. validator.ValidateMultiple(request).Select(v => NewRecord(account, v, ApiFlavor.RenderIO, CommandTypes.Multiple))], options, ct);

    /// <summary>
    /// The one submission path: an idempotency key already used answers the first answer again (another request under it is
    /// refused); else <paramref name="build"/> validates and makes the records, which are stored durably before the answer;
    /// with <see cref="SubmitOptions.Wait"/> a single command is waited for.
    /// </summary>
    internal async Task<Outcome<Submitted>> SubmitBuiltAsync(Account account, Func<IReadOnlyList<CommandRecord>> build, SubmitOptions options, CancellationToken ct)
    {
        if (options.Idempotency is { } key && await FindEarlierAnswerAsync(account, key, ct) is { } earlier)
        {
            return earlier;
        }
        IReadOnlyList<CommandRecord> records;
        try
        {
            records = build();
        }
        catch (RequestValidationException e)
        {
            return Problem.Invalid(e);
        }
        var ids = records.Select(r => r.Id.ToString()).ToList();
        var answer = records.Count == 1 && records[0].CommandType != CommandTypes.Multiple
            ? JsonSerializer.Serialize(new SubmitCommandResponse(ids[0]), WireJson.Default.SubmitCommandResponse)
            : JsonSerializer.Serialize(new SubmitMultipleResponse(ids), WireJson.Default.SubmitMultipleResponse);
        if (!await EnqueueAsync(account, records, answer, options.Idempotency, ct))
        {
            // Another request with the same key won the race: answer as it was answered.
            return await FindEarlierAnswerAsync(account, options.Idempotency!, ct)
                ?? Problem.Conflict("A request with this Idempotency-Key is being processed; retry.");
        }
        CommandPollResponse? finished = null;
        if (options.Wait > TimeSpan.Zero && records.Count == 1)
        {
            var poll = await WaitAsync(account, records[0].Id, options.Flavor, options.Wait, ct);
            finished = poll is not null && CommandStatus.IsFinal(poll.Status) ? poll : null;
        }
        return new Submitted(ids, answer, finished, Replayed: false);
    }

    /// <summary>A validated single or chained command, ready to store; throws <see cref="RequestValidationException"/>.</summary>
    internal CommandRecord Build(Account account, SubmitCommandRequest request, ApiFlavor flavor, bool chained, string? presetId = null)
    {
        var valid = chained ? validator.ValidateChained(request, flavor) : validator.Validate(request, flavor);
        var command = NewRecord(account, valid, flavor, chained ? CommandTypes.Chained : CommandTypes.Command);
        command.PresetId = presetId;
        return command;
    }

    private CommandRecord NewRecord(Account account, ValidatedCommand valid, ApiFlavor flavor, string type) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = account.Id,
        Status = CommandStatus.Queued,
        CommandType = type,
        Flavor = (int)flavor,
        RequestJson = JsonSerializer.Serialize(valid.Request, WireJson.Default.OriginalRequest),
        MetadataJson = valid.MetadataJson,
        WebhookUrl = valid.WebhookUrl,
        MaxSeconds = valid.MaxSeconds,
        VcpuCount = valid.VcpuCount,
        CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    /// <summary>Stores the commands durably (with the idempotency key, in one transaction) and wakes a worker; false when the key was taken meanwhile.</summary>
    private async Task<bool> EnqueueAsync(Account account, IReadOnlyList<CommandRecord> commands, string answer, IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var record = idempotency is null ? null
            : new IdempotencyRecord(idempotency.Key, idempotency.RequestHash, answer, time.GetUtcNow().ToUnixTimeMilliseconds());
        // Durable before we answer: an accepted command is never lost.
        if (!await store.InsertAsync(commands, account.Id, record, ct))
        {
            return false;
        }
        foreach (var _ in commands)
        {
            signal.Notify();
        }
        return true;
    }

    /// <summary>The first answer given under this key for this request, a problem for the key with another request, or null when the key is new.</summary>
    private async Task<Outcome<Submitted>?> FindEarlierAnswerAsync(Account account, IdempotencyRequest idempotency, CancellationToken ct)
    {
        var since = time.GetUtcNow().Subtract(IdempotencyWindow).ToUnixTimeMilliseconds();
        var earlier = await store.FindIdempotencyAsync(account.Id, idempotency.Key, since, ct);
        if (earlier is null)
        {
            return null;
        }
        return earlier.RequestHash == idempotency.RequestHash
            ? new Submitted(CommandIdsOf(earlier.ResponseJson), earlier.ResponseJson, null, Replayed: true)
            : new Problem(ProblemKind.Invalid, ErrorCodes.IdempotencyKeyReused,
                "This Idempotency-Key was already used with a different request; use a new key for a new request.");
    }

    private static List<string> CommandIdsOf(string answerJson)
    {
        using var answer = JsonDocument.Parse(answerJson);
        return answer.RootElement.TryGetProperty("command_ids", out var many)
            ? [.. many.EnumerateArray().Select(e => e.GetString()!)]
            : [answer.RootElement.GetProperty("command_id").GetString()!];
    }

    /// <summary>The poll object of the account's command.</summary>
    public async Task<Outcome<CommandPollResponse>> GetAsync(Account account, string commandId, ApiFlavor flavor, CancellationToken ct) =>
        Guid.TryParse(commandId, out var id) && await GetAsync(account, id, flavor, ct) is { } poll ? poll : CommandLookup.NotFound(commandId);

    private async Task<CommandPollResponse?> GetAsync(Account account, Guid commandId, ApiFlavor flavor, CancellationToken ct)
    {
        var found = await store.GetAsync(account.Id, commandId, ct);
        return found is null ? null : ToPoll(found.Value.Command, found.Value.Files, flavor);
    }

    /// <summary>The poll object once the command has ended, or as it is when <paramref name="timeout"/> passes.</summary>
    public async Task<Outcome<CommandPollResponse>> WaitAsync(Account account, string commandId, ApiFlavor flavor, TimeSpan timeout, CancellationToken ct) =>
        Guid.TryParse(commandId, out var id) && await WaitAsync(account, id, flavor, timeout, ct) is { } poll ? poll : CommandLookup.NotFound(commandId);

    /// <summary>Woken by the completion itself when it happens in this process; another process's is seen by a look every second.</summary>
    private async Task<CommandPollResponse?> WaitAsync(Account account, Guid commandId, ApiFlavor flavor, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            // Subscribe before reading, so a completion in between is not missed.
            var finished = runtime.WhenFinished(commandId);
            var poll = await GetAsync(account, commandId, flavor, ct);
            var left = deadline - time.GetUtcNow();
            if (poll is null || CommandStatus.IsFinal(poll.Status) || left <= TimeSpan.Zero)
            {
                return poll;
            }
            await Task.WhenAny(finished, Task.Delay(left < WaitFallbackPoll ? left : WaitFallbackPoll, time, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Follows a command until it ends: the poll object whenever its status or progress changes, the final one last (a
    /// live view for an event stream or a console page).
    /// </summary>
    public async Task<Outcome<IAsyncEnumerable<CommandPollResponse>>> FollowAsync(Account account, string commandId, ApiFlavor flavor, CancellationToken ct) =>
        Guid.TryParse(commandId, out var id) && await GetAsync(account, id, flavor, ct) is not null
            ? Outcome.Success<IAsyncEnumerable<CommandPollResponse>>(FollowAsync(account, id, flavor, ct))
            : CommandLookup.NotFound(commandId);

    private async IAsyncEnumerable<CommandPollResponse> FollowAsync(Account account, Guid commandId, ApiFlavor flavor, [EnumeratorCancellation] CancellationToken ct)
    {
        (string Status, CommandProgress? Progress)? last = null;
        while (true)
        {
            var finished = runtime.WhenFinished(commandId);
            var poll = await GetAsync(account, commandId, flavor, ct);
            if (poll is null)
            {
                yield break;
            }
            var final = CommandStatus.IsFinal(poll.Status);
            if (final || last != (poll.Status, poll.Progress))
            {
                last = (poll.Status, poll.Progress);
                yield return poll;
            }
            if (final)
            {
                yield break;
            }
            await Task.WhenAny(finished, Task.Delay(FollowFallbackPoll, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Cancels a queued command at once, or stops a running one (here directly, elsewhere through its worker's monitor), and
    /// answers the poll object as it is a moment later (usually FAILED, CANCELLED).
    /// </summary>
    public async Task<Outcome<CommandPollResponse>> CancelAsync(Account account, string commandId, ApiFlavor flavor, CancellationToken ct)
    {
        if (!Guid.TryParse(commandId, out var id))
        {
            return CommandLookup.NotFound(commandId);
        }
        switch (await store.RequestCancelAsync(account.Id, id, ct))
        {
            case CancelOutcome.NotFound:
                return CommandLookup.NotFound(commandId);
            case CancelOutcome.AlreadyFinished:
                return Problem.Conflict("The command has already finished.");
            case CancelOutcome.CancelledWhileQueued:
                // It never ran: finished like any job, with no duration (its creation time is not at hand here).
                completion.Finished(id, null, ErrorCodes.Cancelled, null);
                break;
            case CancelOutcome.StopRequested:
                runtime.TryCancel(id);
                break;
        }
        return (await WaitAsync(account, id, flavor, CancelSettle, ct))!;
    }

    /// <summary>Adds a problem for a status or command type filter that is not one of the known values.</summary>
    public static void CheckFilters(string? status, string? commandType, List<ValidationDetail> errors)
    {
        if (status is not null && !Statuses.Contains(status))
        {
            errors.Add(new("status", "must be one of QUEUED, PROCESSING, SUCCESS, FAILED"));
        }
        if (commandType is not null && CommandTypes.Parse(commandType) is null)
        {
            errors.Add(new("command_type", "must be one of FFMPEG_COMMAND, CHAINED_COMMAND, MULTIPLE_COMMAND"));
        }
    }

    /// <summary>The account's commands with their files, newest first; <paramref name="status"/> and <paramref name="commandType"/> filter.</summary>
    public async Task<Outcome<IReadOnlyList<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>>> ListAsync(Account account, Page page,
        string? status, string? commandType, CancellationToken ct)
    {
        var errors = new List<ValidationDetail>();
        CheckFilters(status, commandType, errors);
        if (page.Limit < 1 || page.Offset < 0)
        {
            errors.Add(new("limit", "must be at least 1, with offset at least 0"));
        }
        if (errors.Count > 0)
        {
            return Problem.Invalid(new RequestValidationException(errors));
        }
        var query = new CommandQuery(page.Limit, page.Offset, status, commandType is null ? null : CommandTypes.Parse(commandType));
        return Outcome.Success<IReadOnlyList<(CommandRecord, IReadOnlyList<FileRecord>)>>(await store.ListAsync(account.Id, query, ct));
    }

    /// <summary>ffmpeg's log of the command ("" until it has run).</summary>
    public async Task<Outcome<string>> GetLogAsync(Account account, string commandId, CancellationToken ct)
    {
        var (found, log) = Guid.TryParse(commandId, out var id) ? await store.GetLogAsync(account.Id, id, ct) : (false, null);
        return found ? log ?? "" : CommandLookup.NotFound(commandId);
    }

    /// <summary>Deletes a finished command's stored outputs (the record stays); the count deleted.</summary>
    public async Task<Outcome<int>> DeleteFilesAsync(Account account, string commandId, CancellationToken ct)
    {
        var found = await store.FindFinishedAsync(account, commandId, "The command is still running; delete its files once it has finished.", ct);
        if (found.Problem is { } problem)
        {
            return problem;
        }
        // Marked first: from here no poll hands out a URL to a blob that is about to go.
        var deleted = await store.MarkCommandFilesDeletedAsync(account.Id, found.Value.Command.Id, ct);
        foreach (var file in deleted)
        {
            await blobs.DeleteAsync(file.StorageKey, ct);
        }
        return deleted.Count;
    }

    /// <summary>The poll object; while PROCESSING it carries progress, fresh from this process's worker when it runs here.</summary>
    public CommandPollResponse ToPoll(CommandRecord c, IReadOnlyList<FileRecord> files, ApiFlavor flavor)
    {
        var poll = views.ToPoll(c, files, flavor);
        if (c.Status == CommandStatus.Processing)
        {
            poll.Progress = runtime.GetProgress(c.Id)
                ?? (c.ProgressJson is null ? null : JsonSerializer.Deserialize(c.ProgressJson, WireJson.Default.CommandProgress));
        }
        return poll;
    }
}
