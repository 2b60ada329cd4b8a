using System.Globalization;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Core.Views;

/// <summary>How commands and stored files look on the wire: poll objects, output files, files-API entries (also webhook payloads).</summary>
public sealed class WireViews(IBlobStore blobs, RenditionOptions options, Security.PrefixUrls prefixUrls)
{
    /// <summary>The poll object of a command with its files, as the given API shows it.</summary>
    public CommandPollResponse ToPoll(CommandRecord c, IReadOnlyList<FileRecord> files, ApiFlavor flavor)
    {
        var final = CommandStatus.IsFinal(c.Status);
        var poll = new CommandPollResponse
        {
            CommandId = c.Id.ToString(),
            Status = c.Status,
            CommandType = CommandTypes.ForWire(c.CommandType, flavor),
            TotalProcessingSeconds = final && c.CompletedAt is { } done ? Math.Round((done - c.CreatedAt) / 1000.0, 3) : null,
            FfmpegCommandRunSeconds = final && c.FfmpegSeconds is { } f ? Math.Round(f, 3) : null,
            VcpuCount = c.VcpuCount,
            Metadata = c.MetadataJson is null ? null : JsonDocument.Parse(c.MetadataJson).RootElement.Clone(),
            ErrorStatus = c.ErrorStatus,
            ErrorMessage = c.ErrorMessage,
            OriginalRequest = JsonSerializer.Deserialize(c.RequestJson, WireJson.Default.OriginalRequest)!,
            PresetId = c.PresetId,
        };
        // A playlist's segments are stored with it, but the poll lists only the manifest.
        foreach (var file in files.Where(f => !Rendition.Core.Media.Playlists.IsPartAlias(f.Alias)))
        {
            poll.OutputFiles[file.Alias ?? file.Id.ToString()] = ToOutputMeta(file);
        }
        return poll;
    }

    /// <summary>A command as Rendi's listing shows it: status and counts, no files (the count includes a playlist's segments).</summary>
    public static CommandSummary ToSummary(CommandRecord c, IReadOnlyList<FileRecord> files, ApiFlavor flavor) =>
        new(c.Id.ToString(), c.Status, CommandTypes.ForWire(c.CommandType, flavor), files.Count, c.ErrorStatus, c.ErrorMessage,
            DateTimeOffset.FromUnixTimeMilliseconds(c.CreatedAt).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    public OutputFileMeta ToOutputMeta(FileRecord file) => Fill(new OutputFileMeta
    {
        FileId = "",
        Status = "",
        RendiStoreType = "",
        Filename = "",
    }, file, Media(file));

    public FileResponse ToFileResponse(FileRecord file)
    {
        var media = Media(file);
        var response = Fill(new FileResponse
        {
            FileId = "",
            Status = "",
            RendiStoreType = "",
            Filename = "",
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(file.CreatedAt).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        }, file, media);
        response.SampleRate = media.SampleRate;
        response.Channels = media.Channels;
        response.OriginalFileUrl = file.OriginalFileUrl;
        response.ErrorStatus = file.ErrorStatus;
        response.ErrorMessage = file.ErrorMessage;
        response.CommandId = file.CommandId?.ToString();
        return response;
    }

    private static MediaInfo Media(FileRecord file) =>
        file.MediaJson is null ? new MediaInfo() : JsonSerializer.Deserialize(file.MediaJson, WireJson.Default.MediaInfo) ?? new MediaInfo();

    private T Fill<T>(T meta, FileRecord file, MediaInfo media)
        where T : OutputFileMeta
    {
        var available = file.Status == FileStatus.Stored && !file.IsDeleted;
        meta.FileId = file.Id.ToString();
        var validFor = TimeSpan.FromSeconds(options.UrlExpirySeconds);
        meta.StorageUrl = !available ? null
            : file.Alias is { } alias && Rendition.Core.Media.Playlists.IsPlaylistAlias(alias) && BlobKeys.TrySplit(file.StorageKey, out var folder, out var name)
                ? prefixUrls.Url(folder, name, validFor)
                : blobs.GetDownloadUrl(file.StorageKey, validFor, file.DisplayName);
        meta.Status = file.Status;
        meta.RendiStoreType = file.StoreType;
        meta.IsDeleted = file.IsDeleted;
        meta.Filename = file.DisplayName ?? file.Filename;
        meta.SizeMbytes = file.SizeBytes is { } b ? b / 1048576.0 : null;
        meta.Duration = media.Duration;
        meta.FileType = media.FileType;
        meta.FileFormat = media.FileFormat;
        meta.Codec = media.Codec;
        meta.PixelFormat = media.PixelFormat;
        meta.MimeType = media.MimeType;
        meta.Width = media.Width;
        meta.Height = media.Height;
        meta.FrameRate = media.FrameRate;
        meta.BitrateVideoKb = media.BitrateVideoKb;
        meta.BitrateAudioKb = media.BitrateAudioKb;
        meta.IsVaryingFrameRate = media.IsVaryingFrameRate ?? false;
        meta.Variants = media.Variants;
        meta.SegmentCount = media.SegmentCount;
        if (media.FileCount is { } count)
        {
            // An OUTPUT_FOLDER zip, as Rendi describes it: size_mbytes before compression, size_compressed_mbytes the zip.
            meta.FileCount = count;
            meta.SizeCompressedMbytes = meta.SizeMbytes;
            meta.SizeMbytes = media.UncompressedBytes is { } raw ? raw / 1048576.0 : meta.SizeMbytes;
        }
        return meta;
    }
}
