using System.Text.Json;
using System.Text.RegularExpressions;
using Rendition.Core.Contracts;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Core.Commands;

/// <summary>A submission that passed validation, ready to store.</summary>
public sealed record ValidatedCommand(OriginalRequest Request, string? MetadataJson, string? WebhookUrl, int MaxSeconds, int VcpuCount);

/// <summary>Validates submissions: alias rules, placeholders, file names, limits, URLs and the command policy.</summary>
public sealed partial class CommandValidator(RenditionOptions options, IBlobStore? blobs = null)
{
    public const int MaxMetadataKeys = 10;
    public const int MaxCommandLength = 65536;

    // Dots anywhere after the first character: "my..clip.mp4" is a file name; only a ".." path component is a parent reference.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex OutputFileNameRegex();

    public const int MaxChainSteps = 10;
    public const int MaxBatchCommands = 10;

    /// <summary>Validates a single-command submission; throws <see cref="RequestValidationException"/> listing every problem found.</summary>
    public ValidatedCommand Validate(SubmitCommandRequest request, ApiFlavor flavor) =>
        ThrowIfAny(Validate(request, flavor, chained: false, "", out var errors), errors);

    /// <summary>Validates a chained submission (<c>ffmpeg_commands</c>, 1 to 10 steps sharing one set of files).</summary>
    public ValidatedCommand ValidateChained(SubmitCommandRequest request, ApiFlavor flavor) =>
        ThrowIfAny(Validate(request, flavor, chained: true, "", out var errors), errors);

    /// <summary>Validates a batch all-or-nothing: any invalid command refuses the whole batch, naming it by index.</summary>
    public IReadOnlyList<ValidatedCommand> ValidateMultiple(SubmitMultipleRequest request)
    {
        var errors = new List<ValidationDetail>();
        var valid = new List<ValidatedCommand>();
        if (request.Commands is null || request.Commands.Count == 0)
        {
            errors.Add(new("commands", "is required (1 to 10 commands)"));
        }
        else if (request.Commands.Count > MaxBatchCommands)
        {
            errors.Add(new("commands", $"may have at most {MaxBatchCommands} commands (got {request.Commands.Count})"));
        }
        else
        {
            for (var i = 0; i < request.Commands.Count; i++)
            {
                if (request.Commands[i] is not { } command)
                {
                    errors.Add(new($"commands[{i}]", "must be an object"));
                    continue;
                }
                command.WebhookUrl ??= request.WebhookUrl;
                var one = Validate(command, ApiFlavor.RenderIO, chained: false, $"commands[{i}].", out var commandErrors);
                errors.AddRange(commandErrors);
                valid.Add(one);
            }
        }
        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }
        return valid;
    }

    private static ValidatedCommand ThrowIfAny(ValidatedCommand command, List<ValidationDetail> errors) =>
        errors.Count > 0 ? throw new RequestValidationException(errors) : command;

    private ValidatedCommand Validate(SubmitCommandRequest request, ApiFlavor flavor, bool chained, string prefix, out List<ValidationDetail> errors)
    {
        errors = [];
        var commandField = chained ? "ffmpeg_commands" : "ffmpeg_command";
        var commands = new List<string>();
        if (chained)
        {
            if (request.FfmpegCommands is null || request.FfmpegCommands.Count == 0)
            {
                errors.Add(new(prefix + commandField, "is required (a list of 1 to 10 command strings)"));
            }
            else if (request.FfmpegCommands.Count > MaxChainSteps)
            {
                errors.Add(new(prefix + commandField, $"may have at most {MaxChainSteps} steps (got {request.FfmpegCommands.Count})"));
            }
            else
            {
                for (var i = 0; i < request.FfmpegCommands.Count; i++)
                {
                    if (string.IsNullOrWhiteSpace(request.FfmpegCommands[i]))
                    {
                        errors.Add(new($"{prefix}{commandField}[{i}]", "must be a non-empty command string"));
                    }
                    else
                    {
                        commands.Add(request.FfmpegCommands[i]!);
                    }
                }
            }
        }
        else if (string.IsNullOrWhiteSpace(request.FfmpegCommand))
        {
            errors.Add(new(prefix + commandField, "is required"));
        }
        else
        {
            commands.Add(request.FfmpegCommand);
        }

        var archive = ValidateArchive(request, prefix, errors);
        var (inputs, outputs) = ValidateFiles(archive is null ? request.InputFiles : request.InputFiles ?? [], request.OutputFiles, prefix, errors);
        var everyCommandPresent = chained
            ? request.FfmpegCommands is { Count: > 0 and <= MaxChainSteps } steps && commands.Count == steps.Count
            : commands.Count == 1;
        if (everyCommandPresent)
        {
            var commandErrors = new List<ValidationDetail>();
            ValidateCommands(commands, prefix + commandField, chained, Keys(request.InputFiles), request.OutputFiles is { IsText: true } ? [] : Keys(request.OutputFiles), prefix, commandErrors);
            errors.AddRange(commandErrors.Select(e => Explain(e, request, archive is not null)));
        }
        var metadataJson = ValidateMetadata(request.Metadata, prefix, errors);
        var webhook = ValidateWebhook(request.WebhookUrl, prefix, errors);
        var maxSeconds = ValidateMaxSeconds(request.MaxCommandRunSeconds, prefix, errors);
        var vcpu = ValidateVcpu(request.VcpuCount, prefix, errors);

        var original = new OriginalRequest
        {
            InputFiles = inputs,
            OutputFiles = request.OutputFiles is { IsFolder: true } ? new OutputFileMap { IsFolder = true } : new OutputFileMap(outputs),
            InputCompressedFolder = archive,
            FfmpegCommand = chained ? null : request.FfmpegCommand,
            FfmpegCommands = chained ? commands : null,
            // Rendi echoes these always; RenderIO clients see them only when they sent them.
            MaxCommandRunSeconds = flavor == ApiFlavor.Rendi || request.MaxCommandRunSeconds is not null ? maxSeconds : null,
            VcpuCount = flavor == ApiFlavor.Rendi || request.VcpuCount is not null ? request.VcpuCount ?? vcpu : null,
        };
        return new ValidatedCommand(original, metadataJson, webhook, maxSeconds, vcpu);
    }

    /// <summary>
    /// <c>input_compressed_folder</c>: an http(s) URL of a .zip, the command's only inputs (so not with <c>input_files</c>).
    /// Returns the URL when valid.
    /// </summary>
    private string? ValidateArchive(SubmitCommandRequest request, string prefix, List<ValidationDetail> errors)
    {
        if (request.InputCompressedFolder is not { } url)
        {
            return null;
        }
        var field = prefix + "input_compressed_folder";
        if (request.InputFiles is { Count: > 0 })
        {
            errors.Add(new(field, "cannot be combined with input_files: put every input in the archive and name it by its file name in the command"));
            return null;
        }
        if (!NetworkGuard.IsHttpUrl(url, out var uri))
        {
            errors.Add(new(field, "must be an absolute http or https URL of a .zip file"));
            return null;
        }
        if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!) && !IsOwnUrl(uri!))
        {
            errors.Add(new(field, "points to a private or loopback address, which is not allowed"));
            return null;
        }
        return url;
    }

    /// <summary>Says why a placeholder is undeclared when the request has no aliases of that kind (folder in or out).</summary>
    private static ValidationDetail Explain(ValidationDetail error, SubmitCommandRequest request, bool archive)
    {
        if (!error.Message.Contains("is not declared in input_files or output_files", StringComparison.Ordinal))
        {
            return error;
        }
        const string Undeclared = "which is not declared in input_files or output_files";
        if (request.OutputFiles is { IsFolder: true } && error.Message.Contains("{{out_", StringComparison.Ordinal))
        {
            var why = "but output_files is OUTPUT_FOLDER, which has no out_ aliases: write plain file names (e.g. frame_%03d.png) instead";
            return error with { Message = error.Message.Replace(Undeclared, why, StringComparison.Ordinal) };
        }
        if (archive && error.Message.Contains("{{in_", StringComparison.Ordinal))
        {
            var why = "but inputs come from input_compressed_folder, which has no in_ aliases: name the archive's files by their file names instead";
            return error with { Message = error.Message.Replace(Undeclared, why, StringComparison.Ordinal) };
        }
        return error;
    }

    private (Dictionary<string, string> Inputs, Dictionary<string, string> Outputs) ValidateFiles(
        Dictionary<string, string?>? inputFiles, RequestedOutputs? outputFiles, string prefix, List<ValidationDetail> errors)
    {
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inputFiles is null)
        {
            errors.Add(new(prefix + "input_files", "is required (an object of in_ aliases to URLs, or input_compressed_folder)"));
        }
        else
        {
            foreach (var (alias, url) in inputFiles)
            {
                var field = $"{prefix}input_files.{alias}";
                if (!Placeholders.IsValidAlias(alias, "in_"))
                {
                    errors.Add(new(field, "input aliases must start with 'in_' and contain only letters, digits and '_'"));
                }
                else if (!NetworkGuard.IsHttpUrl(url, out var uri))
                {
                    errors.Add(new(field, "must be an absolute http or https URL"));
                }
                else if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!) && !IsOwnUrl(uri!))
                {
                    errors.Add(new(field, "points to a private or loopback address, which is not allowed"));
                }
                else
                {
                    inputs[alias] = url!;
                }
            }
        }

        if (outputFiles is { IsFolder: true })
        {
            return (inputs, outputs);
        }
        if (outputFiles is { OtherText: { } text })
        {
            errors.Add(new(prefix + "output_files", $"must be an object of out_ aliases to file names, or the string \"{OutputFolder.Flag}\" (got \"{(text.Length <= 40 ? text : text[..37] + "...")}\")"));
        }
        else if (outputFiles is null || outputFiles.Count == 0)
        {
            errors.Add(new(prefix + "output_files", "is required (an object of out_ aliases to file names, at least one)"));
        }
        else
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (alias, name) in outputFiles)
            {
                var field = $"{prefix}output_files.{alias}";
                if (!Placeholders.IsValidAlias(alias, "out_"))
                {
                    errors.Add(new(field, "output aliases must start with 'out_' and contain only letters, digits and '_'"));
                }
                else if (string.IsNullOrEmpty(name) || name.Length > 255 || !OutputFileNameRegex().IsMatch(name))
                {
                    errors.Add(new(field, "must be a plain file name (letters, digits, '_', '-' and '.', starting with a letter, digit or '_')"));
                }
                else if (!names.Add(name))
                {
                    errors.Add(new(field, $"the file name '{name}' is used by another output"));
                }
                else
                {
                    outputs[alias] = name;
                }
            }
        }
        return (inputs, outputs);
    }

    /// <summary>
    /// Parses each command (<see cref="FfmpegCommand.Parse(string)"/>, the same function the runner uses) and checks
    /// placeholders against the typed invocation: every placeholder declared, every declared alias used, an <c>{{in_x}}</c>
    /// never written, and in a chain an <c>{{out_x}}</c> read (as an input or by a filter) only after an earlier step wrote it.
    /// </summary>
    public static void ValidateCommands(IReadOnlyList<string> commands, string field, bool chained, IReadOnlyCollection<string> inputs,
        IReadOnlyCollection<string> outputs, string prefix, List<ValidationDetail> errors)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var written = new HashSet<string>(StringComparer.Ordinal);
        var allParsed = true;
        for (var i = 0; i < commands.Count; i++)
        {
            var name = chained ? $"{field}[{i}]" : field;
            var command = commands[i];
            if (command.Length > MaxCommandLength)
            {
                errors.Add(new(name, $"is longer than {MaxCommandLength} characters"));
                allParsed = false;
                continue;
            }
            var parsed = FfmpegCommand.Parse(command);
            if (parsed.SyntaxError is { } syntax)
            {
                errors.Add(new(name, syntax));
                allParsed &= parsed.Invocation is not null || syntax == "is empty";
                continue;
            }
            var invocation = parsed.Invocation!;
            foreach (var alias in invocation.Texts.SelectMany(Placeholders.Find).Distinct())
            {
                if (!inputs.Contains(alias) && !outputs.Contains(alias))
                {
                    errors.Add(new(name, $"uses placeholder {{{{{alias}}}}}, which is not declared in input_files or output_files"));
                    continue;
                }
                used.Add(alias);
            }
            var writtenHere = new List<string>();
            foreach (var file in invocation.Files)
            {
                foreach (var alias in Placeholders.Find(file.Name))
                {
                    if (file.Role == FileRole.Write && inputs.Contains(alias))
                    {
                        errors.Add(new(name, $"writes {{{{{alias}}}}} ({file.Where}), which is an input"));
                    }
                    else if (!outputs.Contains(alias))
                    {
                        continue;
                    }
                    else if (file.Role != FileRole.Read)
                    {
                        writtenHere.Add(alias);
                    }
                    else if (!written.Contains(alias))
                    {
                        errors.Add(new(name, chained
                            ? $"reads {{{{{alias}}}}} ({file.Where}) before an earlier step writes it"
                            : $"reads the output {{{{{alias}}}}} ({file.Where}) as an input"));
                    }
                }
            }
            foreach (var violation in parsed.Violations)
            {
                errors.Add(new(name, violation.Message) { IsPolicy = true });
            }
            written.UnionWith(writtenHere);
        }
        foreach (var alias in inputs.Concat(outputs))
        {
            if (allParsed && !used.Contains(alias))
            {
                var kind = alias.StartsWith("in_", StringComparison.Ordinal) ? "input_files" : "output_files";
                errors.Add(new($"{prefix}{kind}.{alias}", $"is declared but {{{{{alias}}}}} is not used in the command"));
            }
        }
    }

    private static HashSet<string> Keys(Dictionary<string, string?>? map) => map is null ? [] : [.. map.Keys];

    private static string? ValidateMetadata(Dictionary<string, JsonElement>? metadata, string prefix, List<ValidationDetail> errors)
    {
        if (metadata is null)
        {
            return null;
        }
        if (metadata.Count > MaxMetadataKeys)
        {
            errors.Add(new(prefix + "metadata", $"may have at most {MaxMetadataKeys} keys (got {metadata.Count})"));
            return null;
        }
        var json = JsonSerializer.Serialize(metadata, WireJson.Default.DictionaryStringJsonElement);
        if (json.Length > 16384)
        {
            errors.Add(new(prefix + "metadata", "is larger than 16 KB"));
        }
        return json;
    }

    private string? ValidateWebhook(string? url, string prefix, List<ValidationDetail> errors)
    {
        if (url is null)
        {
            return null;
        }
        if (!NetworkGuard.IsHttpUrl(url, out var uri))
        {
            errors.Add(new(prefix + "webhook_url", "must be an absolute http or https URL"));
        }
        else if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!))
        {
            errors.Add(new(prefix + "webhook_url", "points to a private or loopback address, which is not allowed"));
        }
        return url;
    }

    private int ValidateMaxSeconds(int? value, string prefix, List<ValidationDetail> errors)
    {
        var seconds = value ?? Math.Min(options.DefaultCommandRunSeconds, options.MaxCommandRunSeconds);
        if (seconds < 1 || seconds > options.MaxCommandRunSeconds)
        {
            errors.Add(new(prefix + "max_command_run_seconds", $"must be between 1 and {options.MaxCommandRunSeconds}"));
        }
        return seconds;
    }

    private static int ValidateVcpu(int? value, string prefix, List<ValidationDetail> errors)
    {
        if (value is < 1)
        {
            errors.Add(new(prefix + "vcpu_count", "must be at least 1"));
        }
        // Honoured up to what the machine has: Rendi's clients commonly send 8.
        return Math.Clamp(value ?? Environment.ProcessorCount, 1, Environment.ProcessorCount);
    }

    // The server's own storage URLs may be on a private address (the API's, or a private S3 endpoint's); they are read
    // from the store for the owning account, not over the network.
    private bool IsOwnUrl(Uri uri) =>
        uri.AbsoluteUri.StartsWith(options.PublicUrl.TrimEnd('/') + StorageRoutes.Files, StringComparison.OrdinalIgnoreCase)
        || (blobs is not null && blobs.TryResolveOwnUrl(uri, out _));
}
