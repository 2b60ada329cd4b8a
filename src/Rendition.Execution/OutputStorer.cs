using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Media;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// Stores what a finished job wrote, as the files of its result: each declared output probed (in the sandbox, like ffmpeg)
/// and moved into the blob store under its own key; a streaming manifest with its segments and variant playlists under one
/// folder key; an <c>OUTPUT_FOLDER</c> zipped and stored file by file. Only regular files are stored: code in the sandbox
/// could leave a link to a host file, or a FIFO, under an output's name. An output that is not there fails the job with
/// OUTPUT_MISSING (<see cref="JobFailedException"/>) before anything is stored.
/// </summary>
public sealed partial class OutputStorer(IBlobStore blobs, FfmpegTools tools, TimeProvider time, ILogger<OutputStorer> logger)
{
    /// <summary>Above this many files an output folder's files are described from their names only, not probed one by one.</summary>
    private const int FolderProbeLimit = 10;

    /// <summary>The records of the stored outputs, for the result write; <paramref name="inputNames"/> are never outputs.</summary>
    public async Task<IReadOnlyList<FileRecord>> StoreAsync(CommandRecord command, OriginalRequest request, JobWorkspace workspace,
        IReadOnlySet<string> inputNames, CancellationToken ct)
    {
        if (request.OutputFiles.IsFolder)
        {
            return await StoreFolderAsync(command, workspace, inputNames, ct);
        }
        var missing = request.OutputFiles.Where(kv => !FileKinds.IsRegularFile(workspace.PathOf(kv.Value))).Select(kv => $"{kv.Key} ({kv.Value})").ToList();
        if (missing.Count > 0)
        {
            throw new JobFailedException(ErrorCodes.OutputMissing, $"ffmpeg finished but did not write {string.Join(", ", missing)} as a regular file.");
        }
        var stored = await Task.WhenAll(request.OutputFiles.Select(kv => Playlists.IsPlaylistAlias(kv.Key)
            ? StorePlaylistAsync(command, workspace, kv.Key, kv.Value, Companions(workspace, request, inputNames), ct)
            : StoreSingleAsync(command, workspace, kv.Key, kv.Value, ct)));
        return [.. stored.SelectMany(f => f)];
    }

    /// <summary>Deletes the blobs of outputs whose result could not be written (the lease was lost): no bytes without a record.</summary>
    public async Task DiscardAsync(IReadOnlyList<FileRecord> files)
    {
        foreach (var f in files)
        {
            await blobs.DeleteAsync(f.StorageKey, CancellationToken.None);
        }
    }

    /// <summary>
    /// OUTPUT_FOLDER: every regular file the command wrote in its directory and its sub-folders (inputs excluded), zipped as
    /// <c>&lt;command_id&gt;.zip</c> under <see cref="OutputFolder.ZipAlias"/> and stored one by one as <c>out_1</c>, <c>out_2</c>… in name order.
    /// </summary>
    private async Task<IReadOnlyList<FileRecord>> StoreFolderAsync(CommandRecord command, JobWorkspace workspace, IReadOnlySet<string> inputNames, CancellationToken ct)
    {
        // Links, FIFOs and directories are never stored: code in the sandbox could plant a link to a host file.
        var outputs = FileKinds.RegularFilesUnder(workspace.Directory).Where(n => !inputNames.Contains(n)).ToList();
        if (outputs.Count == 0)
        {
            throw new JobFailedException(ErrorCodes.OutputMissing,
                "ffmpeg finished but wrote no files: with OUTPUT_FOLDER the command writes its outputs by plain file name (e.g. frame_%03d.png) into its working directory.");
        }
        var zipPath = workspace.ScratchFile("output.zip");
        try
        {
            long uncompressed = 0;
            await using (var zipFile = new FileStream(zipPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                await using var zip = new ZipArchive(zipFile, ZipArchiveMode.Create, leaveOpen: false);
                foreach (var name in outputs)
                {
                    await using var source = new FileStream(workspace.PathOf(name), FileMode.Open, FileAccess.Read, FileShare.Read);
                    uncompressed += source.Length;
                    // Media is mostly compressed already: spend little CPU on it.
                    await using var entry = await zip.CreateEntry(name, CompressionLevel.Fastest).OpenAsync(ct);
                    await source.CopyToAsync(entry, ct);
                }
            }
            var zipId = Guid.NewGuid();
            var zipName = $"{command.Id}.zip";
            var zipKey = BlobKeys.ForFile(zipId, zipName);
            // Sizes first: a local blob store moves the file in.
            var zipSize = new FileInfo(zipPath).Length;
            await blobs.PutFileAsync(zipKey, zipPath, ct);
            List<FileRecord> records =
            [
                OutputRecord(command, OutputFolder.ZipAlias, zipName, zipKey, zipSize, new MediaInfo
                {
                    FileFormat = "zip",
                    MimeType = MediaTypes.ForFileName(zipName),
                    FileCount = outputs.Count,
                    UncompressedBytes = uncompressed,
                }, zipId),
            ];
            for (var i = 0; i < outputs.Count; i++)
            {
                records.Add(await StoreOutputAsync(command, workspace, OutputFolder.FileAlias(i + 1), outputs[i], probe: outputs.Count <= FolderProbeLimit, ct));
            }
            return records;
        }
        finally
        {
            workspace.TryDeleteFile(zipPath);
        }
    }

    private async Task<IReadOnlyList<FileRecord>> StoreSingleAsync(CommandRecord command, JobWorkspace workspace, string alias, string fileName, CancellationToken ct) =>
        [await StoreOutputAsync(command, workspace, alias, fileName, probe: true, ct)];

    /// <summary>The regular files a command wrote besides its declared outputs and its inputs: a playlist's segments and variant playlists.</summary>
    private static List<string> Companions(JobWorkspace workspace, OriginalRequest request, IReadOnlySet<string> inputNames) =>
        [.. FileKinds.RegularFilesUnder(workspace.Directory).Where(n => !inputNames.Contains(n) && !request.OutputFiles.ContainsValue(n))];

    /// <summary>Stores a manifest and every file written next to it under one folder, described from the manifest's text.</summary>
    private async Task<IReadOnlyList<FileRecord>> StorePlaylistAsync(CommandRecord command, JobWorkspace workspace, string alias, string manifest,
        List<string> companions, CancellationToken ct)
    {
        var folder = BlobKeys.PlaylistFolder(command.Id, alias);
        var text = Playlists.ReadText(workspace.PathOf(manifest));
        var media = Playlists.Describe(manifest, text, companions, name =>
            companions.Contains(name) && new FileInfo(workspace.PathOf(name)).Length < (1 << 20) ? File.ReadAllText(workspace.PathOf(name)) : null);
        var records = new List<FileRecord>();
        foreach (var name in companions.Prepend(manifest))
        {
            var path = workspace.PathOf(name);
            var size = new FileInfo(path).Length;
            var key = BlobKeys.InFolder(folder, name);
            await blobs.PutFileAsync(key, path, ct);
            records.Add(OutputRecord(command, name == manifest ? alias : Playlists.PartAlias(alias, name), name, key, size, name == manifest ? media : null));
        }
        return records;
    }

    /// <summary>Stores one output; <paramref name="probe"/> false describes it by its name only (one of many in an output folder).</summary>
    private async Task<FileRecord> StoreOutputAsync(CommandRecord command, JobWorkspace workspace, string alias, string fileName, bool probe, CancellationToken ct)
    {
        var path = workspace.PathOf(fileName);
        var size = new FileInfo(path).Length;
        var media = probe ? await tools.ProbeAsync(workspace.Directory, fileName, size, ct) : FfmpegTools.DescribeByName(fileName);
        var fileId = Guid.NewGuid();
        var key = BlobKeys.ForFile(fileId, fileName);
        await blobs.PutFileAsync(key, path, ct);
        LogStored(alias, size, key);
        return OutputRecord(command, alias, fileName, key, size, media, fileId);
    }

    /// <summary>The record of a command's output stored under <paramref name="key"/>.</summary>
    private FileRecord OutputRecord(CommandRecord command, string alias, string fileName, string key, long size, MediaInfo? media, Guid? id = null) => new()
    {
        Id = id ?? Guid.NewGuid(),
        AccountId = command.AccountId,
        CommandId = command.Id,
        Alias = alias,
        Filename = fileName,
        Status = FileStatus.Stored,
        StoreType = "OUTPUT",
        StorageKey = key,
        SizeBytes = size,
        MediaJson = media is null ? null : JsonSerializer.Serialize(media, WireJson.Default.MediaInfo),
        CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored output {Alias} ({Bytes} bytes) as {Key}")]
    private partial void LogStored(string alias, long bytes, string key);
}
