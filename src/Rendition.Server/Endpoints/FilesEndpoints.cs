using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Execution;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Endpoints;

/// <summary>The files API: upload, store from URL, get, list, delete, bulk delete — RenderIO's and Rendi's paths.</summary>
public static class FilesEndpoints
{
    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, flavor) in new[] { ("/api/v1", ApiFlavor.RenderIO), ("/v1", ApiFlavor.Rendi) })
        {
            var tag = flavor == ApiFlavor.Rendi ? "Rendi: Files" : "Files";
            var group = app.MapGroup(prefix + "/files").RequiresApiKey();
            group.MapPost(flavor == ApiFlavor.Rendi ? "/upload-file" : "/upload", UploadAsync)
                .Doc(tag, "Upload a file",
                    "`multipart/form-data` with the file in the field `file`. The file is stored, then probed: poll it until `status` is STORED. " +
                    "Use its `storage_url` as a command input.")
                .WithMetadata(MultipartUploadMetadata.Instance)
                .Returns<FileIdResponse>()
                .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge);
            group.MapPost("/store-file", StoreFileAsync)
                .Doc(tag, "Store a file from a URL", "Downloads `file_url` into your files in the background; poll the file until `status` is STORED.")
                .Body<StoreFileRequest>()
                .Returns<FileIdResponse>()
                .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
            group.MapGet("/{fileId}", GetAsync)
                .Doc(tag, "Get a file")
                .Returns<FileResponse>()
                .Errors(StatusCodes.Status404NotFound);
            var list = group.MapGet("", (HttpContext context, FileService files) => ListAsync(context, files, flavor))
                .Doc(tag, "List files", "Newest first.")
                .Paging(flavor == ApiFlavor.Rendi ? 1000 : 100)
                .Errors(StatusCodes.Status422UnprocessableEntity);
            if (flavor == ApiFlavor.Rendi)
            {
                list.Returns<List<FileResponse>>();
            }
            else
            {
                list.Returns<FileListResponse>();
            }
            group.MapDelete("/{fileId}", DeleteAsync)
                .Doc(tag, "Delete a file", "Deletes the stored bytes; the record stays, with `is_deleted` true.")
                .Returns<DeleteFileResponse>()
                .Errors(StatusCodes.Status404NotFound);
            if (flavor == ApiFlavor.Rendi)
            {
                group.MapPost("/bulk-delete", BulkDeleteAsync)
                    .Doc(tag, "Delete several files", "Deletes up to 1000 files; answers the ids that were yours and are now deleted.")
                    .Body<BulkDeleteRequest>()
                    .Returns<BulkDeleteResponse>()
                    .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
            }
        }
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, FileService files, RenditionOptions options)
    {
        var cap = options.MaxUploadMb * 1024 * 1024;
        var tooLarge = ApiResults.Error(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"The upload is larger than the {options.MaxUploadMb} MB limit.");
        // Room for the multipart framing around the file itself.
        var bodyLimit = cap + (1024 * 1024);
        if (context.Request.ContentLength > bodyLimit)
        {
            return tooLarge;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = bodyLimit;
        }
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Malformed("The upload must be multipart/form-data with the file in a field named 'file'.");
        }
        // RFC 2046 allows 1 to 70 characters; MultipartReader throws on a boundary longer than its buffer.
        if (HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 70 } boundary)
        {
            return Malformed("The multipart/form-data Content-Type needs a boundary of 1 to 70 characters.");
        }

        var reader = new MultipartReader(boundary, context.Request.Body);
        try
        {
            MultipartSection? section;
            while ((section = await MultipartBody.ReadAsync(() => reader.ReadNextSectionAsync(context.RequestAborted))) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()
                    || !string.Equals(disposition.Name.Value, "file", StringComparison.Ordinal))
                {
                    continue;
                }
                var userName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                var id = await files.UploadAsync(RequireApiKey.GetAccount(context), userName, section.Body, cap, context.RequestAborted);
                return id is null ? tooLarge : TypedResults.Json(new FileIdResponse(id.Value.ToString()), WireJson.Default.FileIdResponse);
            }
        }
        catch (MultipartBodyException e)
        {
            return Malformed(e.Message);
        }
        return Malformed("The multipart/form-data body has no file in a field named 'file'.");

        static IResult Malformed(string message) => ApiResults.Error(StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, message,
            [new ValidationDetail("file", "is required: send multipart/form-data with the file in a field named 'file'")]);
    }

    private static async Task<IResult> StoreFileAsync(HttpContext context, FileService files)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.StoreFileRequest);
        if (error is not null)
        {
            return error;
        }
        try
        {
            var id = await files.StoreFromUrlAsync(RequireApiKey.GetAccount(context), request!.FileUrl, context.RequestAborted);
            return TypedResults.Json(new FileIdResponse(id.ToString()), WireJson.Default.FileIdResponse);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
    }

    private static async Task<IResult> GetAsync(string fileId, HttpContext context, FileService files)
    {
        var file = Guid.TryParse(fileId, out var id) ? await files.GetAsync(RequireApiKey.GetAccount(context), id, context.RequestAborted) : null;
        return file is null ? ApiResults.NotFound($"File {fileId}") : TypedResults.Json(file, WireJson.Default.FileResponse);
    }

    private static async Task<IResult> ListAsync(HttpContext context, FileService files, ApiFlavor flavor)
    {
        var errors = new List<ValidationDetail>();
        var limit = Math.Min(QueryInt(context.Request.Query["limit"], "limit", 50, 1, errors), flavor == ApiFlavor.Rendi ? 1000 : 100);
        var offset = QueryInt(context.Request.Query["offset"], "offset", 0, 0, errors);
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var page = await files.ListAsync(RequireApiKey.GetAccount(context), limit, offset, context.RequestAborted);
        return flavor == ApiFlavor.Rendi
            ? TypedResults.Json([.. page], WireJson.Default.ListFileResponse)
            : TypedResults.Json(new FileListResponse(page, limit, offset), WireJson.Default.FileListResponse);
    }

    private static async Task<IResult> DeleteAsync(string fileId, HttpContext context, FileService files)
    {
        if (!Guid.TryParse(fileId, out var id))
        {
            return ApiResults.NotFound($"File {fileId}");
        }
        var deleted = await files.DeleteAsync(RequireApiKey.GetAccount(context), [id], context.RequestAborted);
        return deleted.Count == 0
            ? ApiResults.NotFound($"File {fileId}")
            : TypedResults.Json(new DeleteFileResponse(true, id.ToString()), WireJson.Default.DeleteFileResponse);
    }

    private static async Task<IResult> BulkDeleteAsync(HttpContext context, FileService files)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.BulkDeleteRequest);
        if (error is not null)
        {
            return error;
        }
        var raw = request!.FileIds;
        if (raw is null || raw.Count is 0 or > 1000)
        {
            return ApiResults.Validation(new RequestValidationException("file_ids", "must list 1 to 1000 file ids"));
        }
        var ids = new HashSet<Guid>();
        for (var i = 0; i < raw.Count; i++)
        {
            if (!Guid.TryParse(raw[i], out var id))
            {
                return ApiResults.Validation(new RequestValidationException($"file_ids[{i}]", "is not a file id"));
            }
            ids.Add(id);
        }
        var deleted = await files.DeleteAsync(RequireApiKey.GetAccount(context), ids, context.RequestAborted);
        return TypedResults.Json(new BulkDeleteResponse([.. deleted.Select(d => d.Id.ToString())]), WireJson.Default.BulkDeleteResponse);
    }

    internal static int QueryInt(string? raw, string name, int fallback, int min, List<ValidationDetail> errors)
    {
        if (raw is null)
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            errors.Add(new(name, $"must be a whole number of at least {min}"));
            return fallback;
        }
        return value;
    }
}

/// <summary>The file use cases behind the endpoints.</summary>
public sealed class FileService(IFileStore store, IBlobStore blobs, FileIngestService ingest, WireViews views, RenditionOptions options,
    DependencyHealth health, TimeProvider time)
{
    /// <summary>
    /// Streams an upload to its staging directory (memory stays flat whatever the size) and queues it for probing; null when
    /// over the cap. Refused (503) while the blob store is known to be down: it could not be stored.
    /// </summary>
    public async Task<Guid?> UploadAsync(Account account, string? userName, Stream body, long capBytes, CancellationToken ct)
    {
        health.ThrowIfDown(Dependencies.BlobStore);
        var id = Guid.NewGuid();
        var safe = FileNames.Safe(userName);
        var dir = ingest.StagingDirectory(id);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, safe);
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 17];
                long total = 0;
                int read;
                while ((read = await MultipartBody.ReadAsync(() => body.ReadAsync(buffer, ct).AsTask())) > 0)
                {
                    total += read;
                    if (total > capBytes)
                    {
                        Directory.Delete(dir, recursive: true);
                        return null;
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            var display = FileNames.Display(userName);
            await store.InsertFileAsync(new FileRecord
            {
                Id = id,
                AccountId = account.Id,
                Filename = safe,
                DisplayName = display == safe ? null : display,
                Status = FileStatus.Processing,
                StoreType = FileIngestService.UploadStoreType,
                StorageKey = BlobKeys.ForFile(id, safe),
                CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
            }, ct);
        }
        catch
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
            throw;
        }
        ingest.Enqueue(id);
        return id;
    }

    public async Task<Guid> StoreFromUrlAsync(Account account, string? fileUrl, CancellationToken ct)
    {
        if (!NetworkGuard.IsHttpUrl(fileUrl, out var uri))
        {
            throw new RequestValidationException("file_url", "must be an absolute http or https URL");
        }
        if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!) && !blobs.TryResolveOwnUrl(uri!, out _))
        {
            throw new RequestValidationException("file_url", "points to a private or loopback address, which is not allowed");
        }
        health.ThrowIfDown(Dependencies.BlobStore);
        var id = Guid.NewGuid();
        var name = FileNames.Safe(Uri.UnescapeDataString(uri!.AbsolutePath.Split('/').LastOrDefault() ?? ""));
        await store.InsertFileAsync(new FileRecord
        {
            Id = id,
            AccountId = account.Id,
            Filename = name,
            Status = FileStatus.Processing,
            StoreType = FileIngestService.StoredFileStoreType,
            StorageKey = BlobKeys.ForFile(id, name),
            OriginalFileUrl = fileUrl,
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }, ct);
        ingest.Enqueue(id);
        return id;
    }

    public async Task<FileResponse?> GetAsync(Account account, Guid fileId, CancellationToken ct) =>
        await store.GetFileAsync(account.Id, fileId, ct) is { } file ? views.ToFileResponse(file) : null;

    public async Task<IReadOnlyList<FileResponse>> ListAsync(Account account, int limit, int offset, CancellationToken ct) =>
        [.. (await store.ListFilesAsync(account.Id, limit, offset, ct)).Select(views.ToFileResponse)];

    /// <summary>Deletes the account's files among <paramref name="fileIds"/> (bytes gone, records kept); returns those it owns.</summary>
    public async Task<IReadOnlyList<FileRecord>> DeleteAsync(Account account, IReadOnlyCollection<Guid> fileIds, CancellationToken ct)
    {
        var deleted = await store.MarkFilesDeletedAsync(account.Id, fileIds, ct);
        foreach (var file in deleted)
        {
            await blobs.DeleteAsync(file.StorageKey, ct);
        }
        return deleted;
    }
}

/// <summary>A multipart body that is cut off or not valid multipart: the client's error (400), never a 500.</summary>
public sealed class MultipartBodyException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>Reads from a multipart body, telling a malformed body (the client's fault) from everything else.</summary>
internal static class MultipartBody
{
    public static async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        // MultipartReader reports a missing boundary, a cut-off body or oversized headers as IOException/InvalidDataException;
        // BadHttpRequestException (an IOException too) keeps its own status, 413 for a body over the limit.
        catch (Exception e) when (e is InvalidDataException || (e is IOException && e is not BadHttpRequestException))
        {
            throw new MultipartBodyException($"The upload is not a complete multipart/form-data body: {e.Message}", e);
        }
    }
}
