using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Webhooks;
using Rendition.Server.Auth;
using Scalar.AspNetCore;

namespace Rendition.Server.Docs;

/// <summary>
/// The API reference: an OpenAPI 3.1 document generated from the endpoints at <c>/openapi/v1.json</c> and a browsable
/// reference (Scalar, served from the assembly, no CDN) at <c>/docs</c>. Both are public and not rate limited. The document
/// is built on its first request and then kept: it depends only on the code, so later requests cost nothing.
/// </summary>
public static class ApiDocs
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/docs";
    public const string ApiKeyScheme = "ApiKey";

    private static readonly string[] CommandStatuses = [CommandStatus.Queued, CommandStatus.Processing, CommandStatus.Success, CommandStatus.Failed];

    /// <summary>Wire values of string fields that are enumerations (the models keep them as strings, as both anchors send them).</summary>
    private static readonly Dictionary<(Type Type, string Property), string[]> Enums = new()
    {
        [(typeof(CommandPollResponse), "status")] = CommandStatuses,
        [(typeof(CommandPollResponse), "command_type")] = [CommandTypes.Command, CommandTypes.Chained, CommandTypes.Multiple, CommandTypes.RendiChained],
        [(typeof(CommandSummary), "status")] = CommandStatuses,
        [(typeof(CommandSummary), "command_type")] = [CommandTypes.Command, CommandTypes.RendiChained, CommandTypes.Multiple],
        [(typeof(CommandEvent), "status")] = CommandStatuses,
        [(typeof(OutputFileMeta), "status")] = [FileStatus.Processing, FileStatus.Stored, FileStatus.Failed],
        [(typeof(OutputFileMeta), "rendi_store_type")] = ["OUTPUT", "UPLOAD", "STORED_FILE"],
        [(typeof(Rendition.Core.Presets.Preset), "command_type")] = [CommandTypes.Command, CommandTypes.Chained],
        [(typeof(WebhookDeliveryView), "status")] = [DeliveryStatus.Pending, DeliveryStatus.Delivered, DeliveryStatus.Failed, DeliveryStatus.Skipped],
        [(typeof(ErrorResponse), "error")] =
        [
            ErrorCodes.InvalidRequest, ErrorCodes.ValidationError, ErrorCodes.ForbiddenOption, ErrorCodes.IdempotencyKeyReused, ErrorCodes.Unauthorized,
            ErrorCodes.Forbidden, ErrorCodes.NotFound, ErrorCodes.Conflict, ErrorCodes.PayloadTooLarge, ErrorCodes.RateLimited, ErrorCodes.InternalError,
            ErrorCodes.ServiceUnavailable, ErrorCodes.StorageUnavailable,
        ],
    };

    /// <summary>Descriptions of fields whose meaning the name does not carry, or that Rendition adds to the anchors' shapes.</summary>
    private static readonly Dictionary<(Type Type, string Property), string> Descriptions = new()
    {
        [(typeof(CommandPollResponse), "progress")] = "While PROCESSING: how far ffmpeg has got. A Rendition extension; absent otherwise.",
        [(typeof(CommandPollResponse), "preset_id")] = "Set when the command ran from a preset. A Rendition extension.",
        [(typeof(CommandPollResponse), "error_status")] =
            "When FAILED: UNREACHABLE_INPUT_FILE, INVALID_INPUT_FILE, FFMPEG_ERROR, TIMEOUT, OUTPUT_MISSING, STORAGE_ERROR, RESOURCE_LIMIT or CANCELLED.",
        [(typeof(CommandPollResponse), "command_type")] = "FFMPEG_CHAINED_COMMANDS is how the Rendi API (/v1) names a chain; the RenderIO API (/api/v1) says CHAINED_COMMAND.",
        [(typeof(SubmitCommandRequest), "input_files")] = "Required: `in_*` aliases to input URLs (or `storage_url`s of your files); may be `{}` (e.g. for `-f lavfi` sources).",
        [(typeof(SubmitCommandRequest), "output_files")] = "Required: `out_*` aliases to output file names (at least one); the extension chooses the format.",
        [(typeof(SubmitCommandRequest), "ffmpeg_command")] = "One command, using `{{alias}}` placeholders (run-ffmpeg-command and batch items).",
        [(typeof(SubmitCommandRequest), "ffmpeg_commands")] = "The steps of a chain, run in order in one job directory (run-chained-ffmpeg-commands).",
        [(typeof(SubmitCommandRequest), "metadata")] = "Any JSON object; echoed in the poll object and the webhook.",
        [(typeof(SubmitCommandRequest), "webhook_url")] = "POSTed the poll object when the command finishes (overrides the account's webhook).",
        [(typeof(SubmitCommandRequest), "max_command_run_seconds")] = "Stop the command after this many seconds: 1 to the server's maximum (RENDITION_MAX_COMMAND_RUN_SECONDS).",
        [(typeof(SubmitCommandRequest), "vcpu_count")] = "CPU cores the command may use: at least 1, honoured up to the cores the server has.",
        [(typeof(CommandProgress), "percent")] = "Null when the length of the work is not known.",
        [(typeof(ErrorResponse), "details")] = "Field-level problems of a 422.",
        [(typeof(WebhookConfigSetResponse), "secret")] = "Only when the server generated the secret: shown this once.",
        [(typeof(OutputFileMeta), "variants")] = "Streaming manifests only: the renditions it lists.",
        [(typeof(Rendition.Core.Presets.Preset), "command_type")] = "FFMPEG_COMMAND for a single-command preset (`ffmpeg_command` set, `ffmpeg_commands` null), CHAINED_COMMAND for a chain (the other way round).",
        [(typeof(OutputFileMeta), "segment_count")] = "Streaming manifests only: how many media segments were stored with it.",
    };

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Commands", "Run FFmpeg commands and poll them: RenderIO's API under /api/v1, plus Rendition's job control (cancel, events, log)."),
        ("Files", "Upload, store from a URL, list and delete files (RenderIO paths)."),
        ("Webhooks", "The account's webhook configuration, and each command's deliveries (RenderIO paths)."),
        ("Presets", "Reusable command templates with typed variables, run with only inputs. A Rendition extension."),
        ("Rendi: Commands", "The same commands under Rendi's /v1 paths and answer shapes."),
        ("Rendi: Files", "The files API under Rendi's /v1 paths."),
        ("Rendi: Webhooks", "Webhook configuration and deliveries under Rendi's /v1 paths."),
        ("Downloads", "Signed, unauthenticated downloads of stored files: the storage_url of a file or output."),
        ("Service", "Liveness and health of the server."),
    ];

    public static void AddApiDocs(IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer(TransformDocument);
            options.AddOperationTransformer(TransformOperation);
            options.AddSchemaTransformer(TransformSchema);
        });
        services.AddSingleton<OpenApiDocumentCache>();
    }

    /// <summary>Maps the document and the reference page; neither needs a key.</summary>
    public static void MapApiDocs(IEndpointRouteBuilder app)
    {
        app.MapGet(DocumentPath, async (OpenApiDocumentCache cache, HttpContext context) =>
            Results.Text(await cache.GetAsync(context.RequestAborted), "application/json; charset=utf-8"))
            .ExcludeFromDescription();
        app.MapScalarApiReference(ReferencePath, options => options
            .WithTitle("Rendition API reference")
            .WithOpenApiRoutePattern(DocumentPath)
            .AddPreferredSecuritySchemes([ApiKeyScheme])
            // Served offline: the script comes from the assembly; no web fonts, telemetry, AI agent or MCP from elsewhere.
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
    }

    /// <summary>True for the documentation's own paths (not metered by the rate limiter).</summary>
    public static bool IsDocsPath(PathString path) =>
        path.StartsWithSegments("/openapi") || path.StartsWithSegments(ReferencePath);

    private static Task TransformDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Rendition API",
            Version = DocumentName,
            Description =
                "Rendition is a self-hosted FFmpeg API server. It speaks RenderIO's API under `/api/v1` and Rendi's under `/v1` " +
                "(the same commands, each with its own paths and answer shapes), and adds presets, job control (cancel, live " +
                "events, logs, `?wait=`, idempotency keys) and webhook delivery logs.\n\n" +
                "Send your key in the `X-API-KEY` header. Errors are `{ \"error\": \"CODE\", \"message\": \"...\" }` " +
                "(with `details` on a 422); requests over the rate limit get 429 with `Retry-After`. While the database or the blob " +
                "store cannot serve, requests that need it get 503 `SERVICE_UNAVAILABLE` or `STORAGE_UNAVAILABLE` with `Retry-After`; " +
                "nothing was changed, so the same request may simply be sent again.",
        };
        // The document is the same for every host it is served from (and committed as docs/openapi.json): no servers, so
        // clients and the reference page use the address they loaded it from.
        document.Servers = [];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticator.HeaderName,
                Description = "An API key of your account (`rendition keys create` makes one).",
            },
        };
        foreach (var ((type, property), text) in Descriptions)
        {
            if (document.Components.Schemas is { } schemas && schemas.TryGetValue(type.Name, out var found) && found is OpenApiSchema owner
                && owner.Properties is { } properties && properties.TryGetValue(property, out var inner) && inner is OpenApiSchema { Description: null } wrapper)
            {
                wrapper.Description = text;
            }
        }
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        AddWebhook(document);
        return Task.CompletedTask;
    }

    /// <summary>What Rendition POSTs to a webhook URL when a command finishes (OpenAPI 3.1 <c>webhooks</c>).</summary>
    private static void AddWebhook(OpenApiDocument document)
    {
        // Written out rather than generated: a generated schema would inline the poll object instead of referring to it.
        document.AddComponent<IOpenApiSchema>(nameof(WebhookPayload), new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "data", "timestamp" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["data"] = new OpenApiSchemaReference(nameof(CommandPollResponse), document),
                ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "When it was sent, in Unix milliseconds." },
            },
        });
        var finished = new OpenApiOperation
        {
            Summary = "A command finished",
            Description =
                "Sent to the command's `webhook_url`, or else to the account's webhook, when a command ends SUCCESS or FAILED. " +
                "Any 2xx answer acknowledges it; anything else (or no answer within 15 s, RENDITION_WEBHOOK_TIMEOUT_SECONDS) is retried " +
                "with backoff, with the same `webhook-id`. A receiver that is slow or never answers delays only its own deliveries.",
            Parameters =
            [
                WebhookHeader("X-Webhook-Signature", "Only when the account has a webhook secret (PUT /webhook-config): lowercase hex HMAC-SHA256 of the raw body, keyed by the secret (RenderIO's signature)."),
                WebhookHeader("webhook-id", "The delivery's id, the same on every retry: drop duplicates (Standard Webhooks)."),
                WebhookHeader("webhook-timestamp", "Unix seconds when this attempt was sent: reject old ones (Standard Webhooks)."),
                WebhookHeader("webhook-signature", "Only when the account has a webhook secret: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` (Standard Webhooks)."),
            ],
            RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [EndpointDocs.JsonType] = new() { Schema = new OpenApiSchemaReference(nameof(WebhookPayload), document) },
                },
            },
            Responses = new OpenApiResponses { ["2XX"] = new OpenApiResponse { Description = "Delivered." } },
        };
        var item = new OpenApiPathItem();
        item.AddOperation(HttpMethod.Post, finished);
        document.Webhooks = new Dictionary<string, IOpenApiPathItem> { ["commandFinished"] = item };
    }

    private static OpenApiParameter WebhookHeader(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static readonly Dictionary<string, string> PathParameters = new()
    {
        ["commandId"] = "The `command_id` a submission answered.",
        ["fileId"] = "The `file_id` of an upload, a stored file or a command output.",
        ["presetId"] = "The preset's `preset_id` (`prs_...`).",
    };

    /// <summary>A stable operation id from the summary (<c>runFfmpegCommand</c>; Rendi's aliases <c>rendiRunFfmpegCommand</c>).</summary>
    private static string? OperationId(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        if (operation.Summary is null)
        {
            return null;
        }
        var words = operation.Summary.Replace("'s", "", StringComparison.Ordinal).Split([' ', '-', '(', ')', '.', ','], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("a" or "an" or "the"))
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant());
        var prefix = (context.Description.RelativePath ?? "").StartsWith("v1/", StringComparison.Ordinal) ? "rendi" : "";
        var method = context.Description.HttpMethod is "HEAD" ? "Head" : "";
        var id = prefix + method + string.Concat(words);
        return char.ToLowerInvariant(id[0]) + id[1..];
    }

    private static Task TransformOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= [];
        operation.OperationId ??= OperationId(operation, context);
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Path && PathParameters.TryGetValue(parameter.Name ?? "", out var text))
            {
                parameter.Description = text;
            }
        }
        if (metadata.OfType<ApiKeyRequiredMetadata>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }];
            AddError(operation, StatusCodes.Status401Unauthorized, context.Document);
            AddError(operation, StatusCodes.Status429TooManyRequests, context.Document);
            // Every keyed request reads the database (the key itself first).
            AddError(operation, StatusCodes.Status503ServiceUnavailable, context.Document);
        }
        foreach (var parameter in metadata.OfType<DocumentedParameter>())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = parameter.Name,
                In = parameter.Place == ParameterPlace.Query ? ParameterLocation.Query : ParameterLocation.Header,
                Description = parameter.Description,
                Schema = new OpenApiSchema { Type = parameter.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String },
            });
        }
        if (metadata.OfType<MultipartUploadMetadata>().Any())
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["multipart/form-data"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "file" },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The file; its name is kept." },
                            },
                        },
                    },
                },
            };
        }
        if (metadata.OfType<WaitReturnsPollMetadata>().Any()
            && operation.Responses.TryGetValue("200", out var ok) && ok.Content?.TryGetValue(EndpointDocs.JsonType, out var body) == true && body.Schema is { } usual)
        {
            body.Schema = new OpenApiSchema { OneOf = [usual, new OpenApiSchemaReference(nameof(CommandPollResponse), context.Document)] };
            Describe(ok, "The usual answer; with `?wait=`, the final poll object when the command finished in time.");
        }
        if (operation.Responses.TryGetValue("202", out var accepted))
        {
            Describe(accepted, "With `?wait=`: the command had not finished in time; poll it.");
        }
        var multipart = metadata.OfType<MultipartUploadMetadata>().Any();
        foreach (var (status, response) in operation.Responses)
        {
            if (ErrorDescriptions.TryGetValue(status, out var text))
            {
                Describe(response, multipart && status == "400" ? MultipartBadRequest : text);
            }
            if (status is "429" or "503" && response is OpenApiResponse { Headers: null } concrete)
            {
                concrete.Headers = new Dictionary<string, IOpenApiHeader> { ["Retry-After"] = RetryAfterHeader() };
            }
        }
        return Task.CompletedTask;
    }

    private const string MultipartBadRequest =
        "INVALID_REQUEST: the body is not multipart/form-data with the file in a field named `file`, or is malformed or cut off.";

    private static readonly Dictionary<string, string> ErrorDescriptions = new()
    {
        ["400"] = "INVALID_REQUEST: the body is missing, not JSON, or has a field of the wrong type.",
        ["401"] = "UNAUTHORIZED: the X-API-KEY header is missing or the key is not valid.",
        ["403"] = "FORBIDDEN: the download link is invalid or has expired; poll for a fresh one.",
        ["404"] = "NOT_FOUND: no such resource in your account.",
        ["409"] = "CONFLICT: the resource is not in a state that allows this (see the message).",
        ["413"] = "PAYLOAD_TOO_LARGE: the upload is larger than the server's limit (RENDITION_MAX_UPLOAD_MB).",
        ["422"] = "VALIDATION_ERROR (with `details`), FORBIDDEN_OPTION (refused by the command policy) or IDEMPOTENCY_KEY_REUSED.",
        ["429"] = "RATE_LIMITED: too many requests for this key; retry after the number of seconds in Retry-After.",
        ["503"] = "SERVICE_UNAVAILABLE (the database) or STORAGE_UNAVAILABLE (the blob store): it cannot serve right now and nothing was changed; " +
            "retry after the number of seconds in Retry-After.",
    };

    private static void AddError(OpenApiOperation operation, int status, OpenApiDocument? document)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }
        var response = new OpenApiResponse
        {
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [EndpointDocs.JsonType] = new() { Schema = new OpenApiSchemaReference(nameof(ErrorResponse), document) },
            },
        };
        operation.Responses![key] = response;
    }

    private static OpenApiHeader RetryAfterHeader() =>
        new() { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };

    private static void Describe(IOpenApiResponse response, string text)
    {
        if (response is OpenApiResponse concrete)
        {
            concrete.Description = text;
        }
    }

    private static Task TransformSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        // output_files has a hand-written converter (a map of names, or Rendi's "OUTPUT_FOLDER"): the generator sees no shape.
        if (context.JsonTypeInfo.Type == typeof(RequestedOutputs) || context.JsonTypeInfo.Type == typeof(OutputFileMap))
        {
            schema.OneOf =
            [
                new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "`out_*` aliases to output file names; the extension chooses the format.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String },
                },
                new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "Rendi's OUTPUT_FOLDER: every file the command writes is stored, zipped and listed.",
                    Enum = [JsonValue.Create(OutputFolder.Flag)!],
                },
            ];
        }
        if (context.JsonPropertyInfo is { } property)
        {
            for (var type = property.DeclaringType; type is not null && type != typeof(object); type = type.BaseType)
            {
                if (Enums.TryGetValue((type, property.Name), out var values))
                {
                    schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                }
                // An object-typed property's schema becomes a shared component: its description is set on the reference instead (below).
                if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object && Descriptions.TryGetValue((type, property.Name), out var text))
                {
                    schema.Description = text;
                }
            }
        }
        return Task.CompletedTask;
    }
}

/// <summary>Generates the OpenAPI document once, on its first request, and serves the same JSON afterwards.</summary>
public sealed class OpenApiDocumentCache(IServiceProvider services)
{
    private readonly Lock _lock = new();
    private Task<string>? _json;

    /// <summary>True once the document has been generated (the first request does it).</summary>
    public bool IsGenerated
    {
        get
        {
            lock (_lock)
            {
                return _json is { IsCompletedSuccessfully: true };
            }
        }
    }

    /// <summary>The document's JSON; concurrent first requests share one generation, and a failed one is tried again next time.</summary>
    public Task<string> GetAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            if (_json is null || _json.IsFaulted || _json.IsCanceled)
            {
                _json = GenerateAsync();
            }
            return _json.WaitAsync(ct);
        }
    }

    private async Task<string> GenerateAsync()
    {
        var provider = services.GetRequiredKeyedService<IOpenApiDocumentProvider>(ApiDocs.DocumentName);
        var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
        return await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None);
    }
}
