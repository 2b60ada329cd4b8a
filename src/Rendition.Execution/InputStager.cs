using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// A job's inputs in its directory: <see cref="Fetched"/> maps each <c>input_files</c> alias to its local file name,
/// <see cref="Unpacked"/> lists the names an <c>input_compressed_folder</c> brought, and <see cref="Files"/> is all of them:
/// read-only in the sandbox, not counted against the output limits, never stored as outputs.
/// </summary>
public sealed record StagedInputs(IReadOnlyDictionary<string, string> Fetched, IReadOnlyList<string> Unpacked)
{
    public IReadOnlySet<string> Files { get; } = Fetched.Values.Concat(Unpacked).ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// Brings a job's inputs into its directory before any step runs: every <c>input_files</c> URL fetched at once (streamed,
/// size-capped, SSRF-guarded; a stored file straight from the blob store) and named after its alias and what it is, never
/// after the URL alone; an <c>input_compressed_folder</c> fetched beside the directory and unpacked into it. A problem fails
/// the job with UNREACHABLE_INPUT_FILE, INVALID_INPUT_FILE or INVALID_INPUT_ARCHIVE (<see cref="JobFailedException"/>).
/// </summary>
public sealed partial class InputStager(InputFetcher fetcher, RenditionOptions options, ILogger<InputStager> logger)
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(15);

    public async Task<StagedInputs> StageAsync(CommandRecord command, OriginalRequest request, JobWorkspace workspace, CancellationToken ct)
    {
        Dictionary<string, string> fetched;
        IReadOnlyList<string> unpacked = [];
        try
        {
            using var fetchDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            fetchDeadline.CancelAfter(FetchTimeout);
            var names = await Task.WhenAll(request.InputFiles.Select(kv => FetchInputAsync(command.AccountId, kv.Key, new Uri(kv.Value), workspace, fetchDeadline.Token)));
            fetched = names.ToDictionary(n => n.Alias, n => n.LocalName, StringComparer.Ordinal);
            if (request.InputCompressedFolder is { } archiveUrl)
            {
                unpacked = await FetchArchiveAsync(command.AccountId, new Uri(archiveUrl), workspace, fetchDeadline.Token, ct);
            }
        }
        catch (InputFetchException e)
        {
            throw new JobFailedException(e.Refused ? ErrorCodes.InvalidInputFile : ErrorCodes.UnreachableInputFile, e.Message);
        }
        catch (InputArchiveException e)
        {
            throw new JobFailedException(ErrorCodes.InvalidInputArchive, e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new JobFailedException(ErrorCodes.UnreachableInputFile, $"Inputs could not be fetched within {FetchTimeout.TotalMinutes:0} minutes.");
        }
        if (request.OutputFiles.FirstOrDefault(kv => unpacked.Contains(kv.Value)) is { Key: { } clashAlias, Value: var clashName })
        {
            throw new JobFailedException(ErrorCodes.InvalidInputArchive,
                $"input_compressed_folder holds '{clashName}', which is also the file name of output {clashAlias}; rename one of them.");
        }
        return new StagedInputs(fetched, unpacked);
    }

    /// <summary>Fetches one input and names it after its alias and what it is (sniffed), never after the URL alone.</summary>
    private async Task<(string Alias, string LocalName)> FetchInputAsync(Guid accountId, string alias, Uri url, JobWorkspace workspace, CancellationToken ct)
    {
        var partial = workspace.PathOf(alias + ".part");
        await fetcher.FetchAsync(alias, url, partial, accountId, ct);
        var header = new byte[InputSniffer.HeaderBytes];
        int read;
        await using (var stream = File.OpenRead(partial))
        {
            read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct);
        }
        var sniff = InputSniffer.Sniff(header.AsSpan(0, read), InputFetcher.ExtensionFor(url));
        if (sniff.Refusal is { } refusal)
        {
            throw new InputFetchException($"Input {alias} ({url}) {refusal}.") { Refused = true };
        }
        var local = alias + sniff.Extension;
        File.Move(partial, workspace.PathOf(local), overwrite: true);
        LogFetched(alias, local);
        return (alias, local);
    }

    /// <summary>Fetches the <c>input_compressed_folder</c> zip into the scratch directory (never the job directory) and unpacks it into the job directory.</summary>
    private async Task<IReadOnlyList<string>> FetchArchiveAsync(Guid accountId, Uri url, JobWorkspace workspace, CancellationToken fetchCt, CancellationToken ct)
    {
        var archive = workspace.ScratchFile("input.zip");
        try
        {
            await fetcher.FetchAsync("input_compressed_folder", url, archive, accountId, fetchCt);
            return await InputArchive.ExtractAsync(archive, workspace.Directory, options.MaxInputArchiveFiles, options.MaxInputArchiveMb * 1024 * 1024, ct);
        }
        finally
        {
            workspace.TryDeleteFile(archive);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetched input {Alias} as {LocalName}")]
    private partial void LogFetched(string alias, string localName);
}
