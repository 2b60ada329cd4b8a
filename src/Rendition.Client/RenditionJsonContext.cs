using System.Text.Json.Serialization;

namespace Rendition.Client;

/// <summary>
/// Source-generated JSON metadata for every wire type: snake_case names exactly as on the wire, nulls left out of requests
/// (so an update changes only what was set), unknown response fields ignored so newer servers do not break older clients.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunCommandRequest))]
[JsonSerializable(typeof(RunChainedRequest))]
[JsonSerializable(typeof(RunMultipleRequest))]
[JsonSerializable(typeof(SubmitCommandResponse))]
[JsonSerializable(typeof(SubmitMultipleResponse))]
[JsonSerializable(typeof(CommandResult))]
[JsonSerializable(typeof(CommandList))]
[JsonSerializable(typeof(CommandStatusEvent))]
[JsonSerializable(typeof(DeleteCommandFilesResponse))]
[JsonSerializable(typeof(FileIdResponse))]
[JsonSerializable(typeof(StoreFileRequest))]
[JsonSerializable(typeof(StoredFile))]
[JsonSerializable(typeof(FileList))]
[JsonSerializable(typeof(DeleteFileResponse))]
[JsonSerializable(typeof(BulkDeleteFilesRequest))]
[JsonSerializable(typeof(BulkDeleteFilesResponse))]
[JsonSerializable(typeof(WebhookConfigRequest))]
[JsonSerializable(typeof(WebhookConfigSetResponse))]
[JsonSerializable(typeof(WebhookConfig))]
[JsonSerializable(typeof(SuccessResponse))]
[JsonSerializable(typeof(WebhookPayload))]
[JsonSerializable(typeof(WebhookDeliveryList))]
[JsonSerializable(typeof(RedeliverResponse))]
[JsonSerializable(typeof(PresetRequest))]
[JsonSerializable(typeof(Preset))]
[JsonSerializable(typeof(PresetList))]
[JsonSerializable(typeof(PresetExecuteRequest))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class RenditionJsonContext : JsonSerializerContext;
