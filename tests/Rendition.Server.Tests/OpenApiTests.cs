using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Server.Docs;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>The API reference: /openapi/v1.json lists every route, matches the wire, and docs/openapi.json is its committed copy.</summary>
[Collection("server")]
public sealed partial class OpenApiTests(ServerFixture fx)
{
    /// <summary>How to bring docs/openapi.json up to date (also in docs/api-reference.md).</summary>
    public const string RegenerateCommand = "make openapi";

    private const string UpdateVariable = "RENDITION_UPDATE_OPENAPI";

    /// <summary>
    /// Mapped routes that are deliberately not in the document, by path prefix, with the reason. Everything else the app
    /// maps must be documented: a new endpoint fails <see cref="EveryMappedRoute_IsInTheDocument_WithItsMethods"/> until it is.
    /// </summary>
    private static readonly (string Prefix, string Reason)[] NotApiRoutes =
    [
        (ApiDocs.DocumentPath, "the OpenAPI document itself"),
        (ApiDocs.ReferencePath, "the Scalar reference page and the scripts it loads"),
        (Operations.MetricsPath, "Prometheus text exposition for scrapers (OpenTelemetry's exporter), not part of the JSON API"),
    ];

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();

    private async Task<JsonObject> GetDocumentAsync(HttpClient? client = null)
    {
        var response = await (client ?? Anonymous()).GetAsync(ApiDocs.DocumentPath);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{ApiDocs.DocumentPath} answered {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    private HttpClient Anonymous() => new() { BaseAddress = new Uri(fx.Server.BaseUrl) };

    /// <summary>The path as OpenAPI writes it: parameters as <c>{name}</c>, without constraints or catch-all stars.</summary>
    private static string OpenApiPath(RoutePattern pattern) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException($"Unexpected route part {part}"),
        }))));

    [Fact]
    public async Task EveryMappedRoute_IsInTheDocument_WithItsMethods()
    {
        var paths = (await GetDocumentAsync())["paths"]!.AsObject();
        var routes = fx.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Path: OpenApiPath(e.RoutePattern), Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["(any method)"]))
            .ToList();
        var documented = routes.Where(r => !NotApiRoutes.Any(x => r.Path.StartsWith(x.Prefix, StringComparison.Ordinal))).ToList();

        var missing = documented.SelectMany(r => r.Methods.Select(m => (r.Path, Method: m)))
            .Where(r => paths[r.Path]?[r.Method.ToLowerInvariant()] is null)
            .Select(r => $"{r.Method} {r.Path}")
            .ToList();
        Assert.True(missing.Count == 0,
            $"Mapped routes missing from {ApiDocs.DocumentPath}: {string.Join(", ", missing)}. Describe them (.Doc/.Returns/.Errors, see " +
            "src/Rendition.Server/Docs/EndpointDocs.cs), or, if they are not part of the API, add them to OpenApiTests.NotApiRoutes with the reason.");

        // And the other way round: the document describes nothing the server does not serve.
        var served = documented.SelectMany(r => r.Methods.Select(m => $"{m.ToLowerInvariant()} {r.Path}")).ToHashSet();
        var phantom = paths.SelectMany(p => p.Value!.AsObject().Select(op => $"{op.Key} {p.Key}")).Where(op => !served.Contains(op)).ToList();
        Assert.True(phantom.Count == 0, $"Documented operations that no route serves: {string.Join(", ", phantom)}");

        // The parts the issue names are there: both APIs, the Rendi aliases, and Rendition's extensions.
        foreach (var (method, path) in new[]
        {
            ("post", "/api/v1/run-ffmpeg-command"), ("post", "/v1/run-ffmpeg-command"), ("post", "/api/v1/run-multiple-ffmpeg-commands"),
            ("get", "/v1/commands/{commandId}"), ("get", "/api/v1/commands/{commandId}/events"), ("get", "/api/v1/commands/{commandId}/log"),
            ("post", "/v1/commands/{commandId}/cancel"), ("post", "/api/v1/presets/{presetId}/execute"), ("put", "/v1/webhook-config"),
            ("post", "/v1/files/upload-file"), ("post", "/v1/files/bulk-delete"), ("get", "/storage/{key}"), ("head", "/storage/{key}"),
        })
        {
            Assert.True(paths[path]?[method] is not null, $"{method.ToUpperInvariant()} {path} is not documented");
        }
        // Only the listed exclusions were left out.
        Assert.All(routes.Except(documented), r => Assert.Contains(NotApiRoutes, x => r.Path.StartsWith(x.Prefix, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task CommittedCopy_DocsOpenApiJson_IsTheServedDocument()
    {
        var served = await Anonymous().GetStringAsync(ApiDocs.DocumentPath);
        var file = Path.Combine(RepositoryRoot(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(file, served.TrimEnd() + "\n");
        }
        Assert.True(File.Exists(file), $"{file} is missing. Create it with: {RegenerateCommand}");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(file));
        var difference = FirstDifference(committed, JsonNode.Parse(served), "$");
        Assert.True(difference is null,
            $"docs/openapi.json is not the document the server serves (first difference at {difference}). The endpoints changed: " +
            $"regenerate the committed copy with `{RegenerateCommand}` (or `{UpdateVariable}=1 dotnet test tests/Rendition.Server.Tests " +
            "--filter FullyQualifiedName~OpenApiTests.CommittedCopy`) and commit it.");
    }

    [Fact]
    public async Task Document_MatchesTheWire_SnakeCaseNamesEnumsErrorsAndKeyHeader()
    {
        var doc = await GetDocumentAsync();
        Assert.StartsWith("3.1", doc["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var schemas = doc["components"]!["schemas"]!.AsObject();

        var poll = schemas["CommandPollResponse"]!["properties"]!.AsObject();
        foreach (var name in new[] { "command_id", "status", "command_type", "output_files", "total_processing_seconds", "ffmpeg_command_run_seconds", "original_request" })
        {
            Assert.True(poll.ContainsKey(name), $"CommandPollResponse has no {name}: {string.Join(", ", poll.Select(p => p.Key))}");
        }
        Assert.Equal(["QUEUED", "PROCESSING", "SUCCESS", "FAILED"], poll["status"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("OutputFileMeta", RefName(poll["output_files"]!["additionalProperties"]!));
        Assert.Equal(["PROCESSING", "STORED", "FAILED"], schemas["OutputFileMeta"]!["properties"]!["status"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));

        var error = schemas["ErrorResponse"]!;
        Assert.Equal(["error", "message"], error["required"]!.AsArray().Select(v => v!.GetValue<string>()).Order());
        Assert.Contains("VALIDATION_ERROR", error["properties"]!["error"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));

        // Every property of every schema is named as the server sends it: snake_case (the source-generated WireJson's policy).
        var names = schemas.SelectMany(s => (s.Value!["properties"]?.AsObject() ?? []).Select(p => $"{s.Key}.{p.Key}")).ToList();
        Assert.True(names.Count > 100, $"only {names.Count} properties documented");
        Assert.DoesNotContain(names, n => !SnakeCase().IsMatch(n[(n.IndexOf('.', StringComparison.Ordinal) + 1)..]));

        var scheme = doc["components"]!["securitySchemes"]![ApiDocs.ApiKeyScheme]!;
        Assert.Equal("apiKey", scheme["type"]!.GetValue<string>());
        Assert.Equal("header", scheme["in"]!.GetValue<string>());
        Assert.Equal("X-API-KEY", scheme["name"]!.GetValue<string>());

        var paths = doc["paths"]!;
        var submit = paths["/api/v1/run-ffmpeg-command"]!["post"]!;
        Assert.Equal("SubmitCommandRequest", RefName(submit["requestBody"]!["content"]!["application/json"]!["schema"]!));
        Assert.Equal(ApiDocs.ApiKeyScheme, submit["security"]![0]!.AsObject().Single().Key);
        Assert.Equal(["200", "202", "400", "401", "409", "422", "429", "503"], submit["responses"]!.AsObject().Select(r => r.Key).Order());
        // An outage answer tells when to retry, and its codes are listed.
        Assert.NotNull(submit["responses"]!["503"]!["headers"]!["Retry-After"]);
        Assert.Contains("SERVICE_UNAVAILABLE", error["properties"]!["error"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("STORAGE_UNAVAILABLE", error["properties"]!["error"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains(submit["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header");
        var answers = submit["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["oneOf"]!.AsArray().Select(s => RefName(s!));
        Assert.Equal(["CommandPollResponse", "SubmitCommandResponse"], answers.Order());

        Assert.Equal("ErrorResponse", RefName(paths["/api/v1/commands/{commandId}"]!["get"]!["responses"]!["404"]!["content"]!["application/json"]!["schema"]!));
        Assert.NotNull(paths["/api/v1/files/upload"]!["post"]!["responses"]!["413"]);
        Assert.NotNull(paths["/api/v1/files/upload"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!["properties"]!["file"]);
        Assert.Equal("array", paths["/v1/commands"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["type"]!.GetValue<string>());
        Assert.Equal("CommandListResponse", RefName(paths["/api/v1/commands"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!));
        Assert.NotNull(paths["/api/v1/commands/{commandId}/events"]!["get"]!["responses"]!["200"]!["content"]!["text/event-stream"]);
        // Client generators name methods by operationId: every operation has one, and no two share it.
        var ids = paths.AsObject().SelectMany(p => p.Value!.AsObject().Select(op => op.Value!["operationId"]?.GetValue<string>())).ToList();
        Assert.DoesNotContain(null, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("runFfmpegCommand", submit["operationId"]!.GetValue<string>());
        Assert.Equal("rendiRunFfmpegCommand", paths["/v1/run-ffmpeg-command"]!["post"]!["operationId"]!.GetValue<string>());
        // What a webhook receives is documented too (OpenAPI 3.1 webhooks), with its signature headers.
        var webhook = doc["webhooks"]!["commandFinished"]!["post"]!;
        Assert.Equal("WebhookPayload", RefName(webhook["requestBody"]!["content"]!["application/json"]!["schema"]!));
        Assert.Contains(webhook["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "X-Webhook-Signature");
        Assert.Equal("CommandPollResponse", RefName(schemas["WebhookPayload"]!["properties"]!["data"]!));
        // Unkeyed endpoints say so.
        Assert.Null(paths["/health"]!["get"]!["security"]);
        Assert.Null(paths["/storage/{key}"]!["get"]!["security"]);
        Assert.Null(doc["servers"]);
    }

    [Fact]
    public async Task RealAnswers_HaveOnlyDocumentedFields()
    {
        var doc = await GetDocumentAsync();
        var schemas = doc["components"]!["schemas"]!.AsObject();
        // A real command (a stream copy of a tiny file) answers every shape: submission, poll with output files, file,
        // lists, errors, and the webhook it sends.
        await using var receiver = await WebhookReceiver.StartAsync();
        var submitted = await fx.Server.Http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json(new
        {
            input_files = new { in_video = fx.Inputs.Url("small.mp4") },
            output_files = new { out_video = "copy.mp4" },
            ffmpeg_command = "ffmpeg -i {{in_video}} -c copy {{out_video}}",
            webhook_url = receiver.Url("openapi"),
        }));
        var answer = JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!.AsObject();
        AssertDocumented(answer, "SubmitCommandResponse", schemas);
        var poll = await fx.Server.WaitAsync(answer["command_id"]!.GetValue<string>());
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        AssertDocumented(poll, "CommandPollResponse", schemas);
        var delivered = (await receiver.WaitForAsync("openapi", 1))[0];
        AssertDocumented(JsonNode.Parse(delivered.Body)!.AsObject(), "WebhookPayload", schemas);
        // This account has no webhook secret, so the signature headers (documented as conditional) are absent; the rest are always sent.
        var webhookHeaders = doc["webhooks"]!["commandFinished"]!["post"]!["parameters"]!.AsArray()
            .Where(p => !p!["description"]!.GetValue<string>().StartsWith("Only when", StringComparison.Ordinal))
            .Select(p => p!["name"]!.GetValue<string>().ToLowerInvariant()).ToList();
        Assert.Equal(["webhook-id", "webhook-timestamp"], webhookHeaders);
        Assert.All(webhookHeaders, h => Assert.True(delivered.Headers.ContainsKey(h), $"the webhook was sent without the documented header {h}"));
        var fileId = poll["output_files"]!["out_video"]!["file_id"]!.GetValue<string>();
        AssertDocumented(JsonNode.Parse(await fx.Server.Http.GetStringAsync($"/api/v1/files/{fileId}"))!.AsObject(), "FileResponse", schemas);
        var rendiList = JsonNode.Parse(await fx.Server.Http.GetStringAsync("/v1/commands?limit=5"))!.AsArray();
        AssertDocumented(rendiList[0]!.AsObject(), "CommandSummary", schemas);
        var list = JsonNode.Parse(await fx.Server.Http.GetStringAsync("/api/v1/commands?limit=5"))!.AsObject();
        AssertDocumented(list, "CommandListResponse", schemas);
        var missing = await fx.Server.Http.GetAsync($"/api/v1/commands/{Guid.NewGuid()}");
        Assert.Equal(404, (int)missing.StatusCode);
        AssertDocumented(JsonNode.Parse(await missing.Content.ReadAsStringAsync())!.AsObject(), "ErrorResponse", schemas);
        var invalid = await fx.Server.Http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json("""{"output_files":{}}"""));
        Assert.Equal(422, (int)invalid.StatusCode);
        var details = JsonNode.Parse(await invalid.Content.ReadAsStringAsync())!.AsObject();
        AssertDocumented(details, "ErrorResponse", schemas);
        AssertDocumented(details["details"]![0]!.AsObject(), "ValidationDetail", schemas);
        Assert.Contains(details["error"]!.GetValue<string>(), schemas["ErrorResponse"]!["properties"]!["error"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task Docs_AreServedOffline_WithoutAKey_AndNotRateLimited_WhileTheApiStillIs()
    {
        // A tight limit: the API is throttled after two requests, the documentation never.
        await using var server = await RenditionTestServer.StartAsync(workers: 0, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_RATE_LIMIT_PER_MINUTE"] = "2",
        });
        var cache = server.Services.GetRequiredService<OpenApiDocumentCache>();
        Assert.False(cache.IsGenerated, "the document must be generated on its first request, not at start");

        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        using var badKey = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        badKey.DefaultRequestHeaders.Add("X-API-KEY", "ffsk_not-a-key");
        string? first = null;
        for (var i = 0; i < 5; i++)
        {
            foreach (var client in new[] { anonymous, badKey, server.Http })
            {
                var document = await client.GetAsync(ApiDocs.DocumentPath);
                Assert.Equal(200, (int)document.StatusCode);
                var text = await document.Content.ReadAsStringAsync();
                first ??= text;
                Assert.Equal(first, text);
                Assert.Equal(200, (int)(await client.GetAsync(ApiDocs.ReferencePath + "/")).StatusCode);
            }
        }
        Assert.True(cache.IsGenerated);

        // The reference page loads only scripts the server itself serves: no CDN, no web fonts.
        var page = await anonymous.GetAsync(ApiDocs.ReferencePath);
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        var scripts = ScriptReference().Matches(html).Select(m => m.Groups["src"].Value).Distinct().ToList();
        Assert.Contains("scalar.js", scripts);
        foreach (var script in scripts)
        {
            var response = await anonymous.GetAsync(new Uri(page.RequestMessage!.RequestUri!, script));
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            var length = (await response.Content.ReadAsByteArrayAsync()).Length;
            // The whole Scalar bundle comes from the assembly, not a stub that fetches it from elsewhere.
            Assert.True(script != "scalar.js" || length > 1_000_000, $"{script} is only {length} bytes");
        }

        // The API itself is still keyed and still limited.
        Assert.Equal(401, (int)(await anonymous.GetAsync("/api/v1/commands")).StatusCode);
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((int)(await server.Http.GetAsync("/api/v1/commands")).StatusCode);
        }
        Assert.Contains(429, statuses);
        Assert.Equal(200, statuses[0]);
    }

    [GeneratedRegex("""(?:src="|from ')(?<src>[^"']+\.js)["']""")]
    private static partial Regex ScriptReference();

    private static string RefName(JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference ? reference[(reference.LastIndexOf('/') + 1)..] : $"(inline: {schema.ToJsonString()})";

    /// <summary>Every field of a real answer is a property of its documented schema (recursing into documented objects).</summary>
    private static void AssertDocumented(JsonObject answer, string schemaName, JsonObject schemas)
    {
        var properties = schemas[schemaName]!["properties"]!.AsObject();
        foreach (var (name, value) in answer)
        {
            Assert.True(properties.ContainsKey(name), $"{schemaName} does not document '{name}', which the server sent: {answer.ToJsonString()}");
            var target = properties[name]!["$ref"] is not null ? RefName(properties[name]!)
                : properties[name]!["oneOf"]?.AsArray().Select(s => s!["$ref"] is null ? null : RefName(s!)).FirstOrDefault(s => s is not null);
            // A map-shaped schema (output_files: aliases to names, or "OUTPUT_FOLDER") has no properties to recurse into.
            if (value is JsonObject inner && target is not null && target != "JsonElement" && schemas[target]?["properties"] is not null)
            {
                AssertDocumented(inner, target, schemas);
            }
            if (value is JsonObject map && properties[name]!["additionalProperties"]?["$ref"] is not null)
            {
                foreach (var entry in map.Select(e => e.Value).OfType<JsonObject>())
                {
                    AssertDocumented(entry, RefName(properties[name]!["additionalProperties"]!), schemas);
                }
            }
            if (value is JsonArray items && properties[name]!["items"]?["$ref"] is not null)
            {
                foreach (var item in items.OfType<JsonObject>())
                {
                    AssertDocumented(item, RefName(properties[name]!["items"]!), schemas);
                }
            }
        }
    }

    /// <summary>The JSON path of the first difference between two documents, or null when they are equal.</summary>
    private static string? FirstDifference(JsonNode? a, JsonNode? b, string path)
    {
        switch (a, b)
        {
            case (JsonObject x, JsonObject y):
                foreach (var key in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
                {
                    if (!x.ContainsKey(key) || !y.ContainsKey(key))
                    {
                        return $"{path}.{key} ({(x.ContainsKey(key) ? "only in the committed copy" : "only in the served document")})";
                    }
                    if (FirstDifference(x[key], y[key], $"{path}.{key}") is { } inner)
                    {
                        return inner;
                    }
                }
                return null;
            case (JsonArray x, JsonArray y):
                for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
                {
                    if (i >= x.Count || i >= y.Count)
                    {
                        return $"{path}[{i}] (lengths {x.Count} and {y.Count})";
                    }
                    if (FirstDifference(x[i], y[i], $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }
                return null;
            default:
                return JsonNode.DeepEquals(a, b) ? null : $"{path} ({a?.ToJsonString() ?? "null"} vs {b?.ToJsonString() ?? "null"})";
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rendition.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Rendition.slnx above {AppContext.BaseDirectory}");
    }
}
