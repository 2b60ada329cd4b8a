using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Files;

/// <summary>The files API: upload, store from URL, get, list, delete, bulk delete — RenderIO's and Rendi's paths. HTTP in, <see cref="FileService"/> out.</summary>
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
                .Doc(tag, "Get a file");
            var list = group.MapGet("", (HttpContext context, FileService files) => ListAsync(context, files, flavor))
                .Doc(tag, "List files", "Newest first.")
                .Paging(MaxPage(flavor))
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
                .Doc(tag, "Delete a file", "Deletes the stored bytes; the record stays, with `is_deleted` true.");
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

    private static int MaxPage(ApiFlavor flavor) => flavor == ApiFlavor.Rendi ? 1000 : 100;

    /// <summary>Finds the multipart field <c>file</c> and streams it to the service; the body limit is the upload limit plus room for the framing.</summary>
    private static async Task<IResult> UploadAsync(HttpContext context, FileService files)
    {
        var bodyLimit = files.UploadLimitBytes + (1024 * 1024);
        if (context.Request.ContentLength > bodyLimit)
        {
            return ApiResults.Problem(files.UploadTooLarge);
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
                var id = await files.UploadAsync(RequireApiKey.GetAccount(context), userName, MultipartBody.Guard(section.Body), context.RequestAborted);
                return id.Problem is { } problem ? ApiResults.Problem(problem) : TypedResults.Json(new FileIdResponse(id.Value!), WireJson.Default.FileIdResponse);
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
        var (request, problem) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.StoreFileRequest);
        if (problem is not null)
        {
            return ApiResults.Problem(problem);
        }
        var id = await files.StoreFromUrlAsync(RequireApiKey.GetAccount(context), request!.FileUrl, context.RequestAborted);
        return id.Problem is { } refused ? ApiResults.Problem(refused) : TypedResults.Json(new FileIdResponse(id.Value!), WireJson.Default.FileIdResponse);
    }

    private static async Task<Results<Ok<FileResponse>, NotFound<ErrorResponse>>> GetAsync(string fileId, HttpContext context, FileService files)
    {
        var file = await files.GetAsync(RequireApiKey.GetAccount(context), fileId, context.RequestAborted);
        return file.Problem is { } missing ? TypedResults.NotFound(ApiResults.Body(missing)) : TypedResults.Ok(file.Value);
    }

    private static async Task<IResult> ListAsync(HttpContext context, FileService files, ApiFlavor flavor)
    {
        var errors = new List<ValidationDetail>();
        var page = ApiQuery.Paging(context.Request.Query, MaxPage(flavor), errors);
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var listed = await files.ListAsync(RequireApiKey.GetAccount(context), page, context.RequestAborted);
        return flavor == ApiFlavor.Rendi
            ? TypedResults.Json([.. listed], WireJson.Default.ListFileResponse)
            : TypedResults.Json(new FileListResponse(listed, page.Limit, page.Offset), WireJson.Default.FileListResponse);
    }

    private static async Task<Results<Ok<DeleteFileResponse>, NotFound<ErrorResponse>>> DeleteAsync(string fileId, HttpContext context, FileService files)
    {
        var deleted = await files.DeleteAsync(RequireApiKey.GetAccount(context), fileId, context.RequestAborted);
        return deleted.Problem is { } missing ? TypedResults.NotFound(ApiResults.Body(missing)) : TypedResults.Ok(new DeleteFileResponse(true, deleted.Value!));
    }

    private static async Task<IResult> BulkDeleteAsync(HttpContext context, FileService files)
    {
        var (request, problem) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.BulkDeleteRequest);
        if (problem is not null)
        {
            return ApiResults.Problem(problem);
        }
        var deleted = await files.DeleteManyAsync(RequireApiKey.GetAccount(context), request!.FileIds, context.RequestAborted);
        return deleted.Problem is { } refused ? ApiResults.Problem(refused) : TypedResults.Json(new BulkDeleteResponse([.. deleted.Value!]), WireJson.Default.BulkDeleteResponse);
    }
}
