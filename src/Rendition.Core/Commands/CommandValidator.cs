using System.Text.Json;
using System.Text.RegularExpressions;
using Rendition.Core.Contracts;
using Rendition.Core.Security;

namespace Rendition.Core.Commands;

/// <summary>A submission that passed validation, ready to store.</summary>
public sealed record ValidatedCommand(OriginalRequest Request, string? MetadataJson, string? WebhookUrl, int MaxSeconds, int VcpuCount);

/// <summary>Validates submissions: alias rules, placeholders, file names, limits, URLs and the command policy.</summary>
public sealed partial class CommandValidator(RenditionOptions options)
{
    public const int MaxMetadataKeys = 10;
    public const int MaxCommandLength = 65536;

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex OutputFileNameRegex();

    /// <summary>Validates a single-command submission; throws <see cref="RequestValidationException"/> listing every problem found.</summary>
    public ValidatedCommand Validate(SubmitCommandRequest request, ApiFlavor flavor)
    {
        var errors = new List<ValidationDetail>();
        var commands = new List<string>();
        if (string.IsNullOrWhiteSpace(request.FfmpegCommand))
        {
            errors.Add(new("ffmpeg_command", "is required"));
        }
        else
        {
            commands.Add(request.FfmpegCommand);
        }

        var (inputs, outputs) = ValidateFiles(request.InputFiles, request.OutputFiles, errors);
        ValidateCommands(commands, "ffmpeg_command", Keys(request.InputFiles), Keys(request.OutputFiles), errors);
        var metadataJson = ValidateMetadata(request.Metadata, errors);
        var webhook = ValidateWebhook(request.WebhookUrl, errors);
        var maxSeconds = ValidateMaxSeconds(request.MaxCommandRunSeconds, errors);
        var vcpu = ValidateVcpu(request.VcpuCount, errors);

        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }

        var original = new OriginalRequest
        {
            InputFiles = inputs,
            OutputFiles = outputs,
            FfmpegCommand = request.FfmpegCommand,
            // Rendi echoes these always; RenderIO clients see them only when they sent them.
            MaxCommandRunSeconds = flavor == ApiFlavor.Rendi || request.MaxCommandRunSeconds is not null ? maxSeconds : null,
            VcpuCount = flavor == ApiFlavor.Rendi || request.VcpuCount is not null ? request.VcpuCount ?? vcpu : null,
        };
        return new ValidatedCommand(original, metadataJson, webhook, maxSeconds, vcpu);
    }

    private (Dictionary<string, string> Inputs, Dictionary<string, string> Outputs) ValidateFiles(
        Dictionary<string, string?>? inputFiles, Dictionary<string, string?>? outputFiles, List<ValidationDetail> errors)
    {
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inputFiles is null)
        {
            errors.Add(new("input_files", "is required (an object of in_ aliases to URLs)"));
        }
        else
        {
            foreach (var (alias, url) in inputFiles)
            {
                var field = $"input_files.{alias}";
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

        if (outputFiles is null || outputFiles.Count == 0)
        {
            errors.Add(new("output_files", "is required (an object of out_ aliases to file names, at least one)"));
        }
        else
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (alias, name) in outputFiles)
            {
                var field = $"output_files.{alias}";
                if (!Placeholders.IsValidAlias(alias, "out_"))
                {
                    errors.Add(new(field, "output aliases must start with 'out_' and contain only letters, digits and '_'"));
                }
                else if (string.IsNullOrEmpty(name) || name.Length > 255 || !OutputFileNameRegex().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
                {
                    errors.Add(new(field, "must be a plain file name (letters, digits, '_', '-', and '.' before the extension)"));
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

    /// <summary>Tokenises each command and checks placeholders (declared and used) and the command policy.</summary>
    public static void ValidateCommands(IReadOnlyList<string> commands, string field, IReadOnlyCollection<string> inputs,
        IReadOnlyCollection<string> outputs, List<ValidationDetail> errors)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var allParsed = true;
        for (var i = 0; i < commands.Count; i++)
        {
            var name = commands.Count == 1 && field == "ffmpeg_command" ? field : $"{field}[{i}]";
            var command = commands[i];
            if (command.Length > MaxCommandLength)
            {
                errors.Add(new(name, $"is longer than {MaxCommandLength} characters"));
                allParsed = false;
                continue;
            }
            List<string> tokens;
            try
            {
                tokens = CommandTokenizer.Tokenize(command);
            }
            catch (FormatException e)
            {
                errors.Add(new(name, $"cannot be parsed: {e.Message}"));
                allParsed = false;
                continue;
            }
            if (tokens.Count > 0 && tokens[0] == "ffmpeg")
            {
                tokens.RemoveAt(0);
            }
            if (tokens.Count == 0)
            {
                errors.Add(new(name, "is empty"));
                continue;
            }
            foreach (var token in tokens)
            {
                foreach (var alias in Placeholders.Find(token))
                {
                    if (inputs.Contains(alias) || outputs.Contains(alias))
                    {
                        used.Add(alias);
                    }
                    else
                    {
                        errors.Add(new(name, $"uses placeholder {{{{{alias}}}}}, which is not declared in input_files or output_files"));
                    }
                }
                if (CommandPolicy.Check(token) is { } reason)
                {
                    errors.Add(new(name, reason));
                }
            }
        }
        foreach (var alias in inputs.Concat(outputs))
        {
            if (allParsed && !used.Contains(alias))
            {
                var kind = alias.StartsWith("in_", StringComparison.Ordinal) ? "input_files" : "output_files";
                errors.Add(new($"{kind}.{alias}", $"is declared but {{{{{alias}}}}} is not used in the command"));
            }
        }
    }

    private static HashSet<string> Keys(Dictionary<string, string?>? map) => map is null ? [] : [.. map.Keys];

    private static string? ValidateMetadata(Dictionary<string, JsonElement>? metadata, List<ValidationDetail> errors)
    {
        if (metadata is null)
        {
            return null;
        }
        if (metadata.Count > MaxMetadataKeys)
        {
            errors.Add(new("metadata", $"may have at most {MaxMetadataKeys} keys (got {metadata.Count})"));
            return null;
        }
        var json = JsonSerializer.Serialize(metadata, WireJson.Default.DictionaryStringJsonElement);
        if (json.Length > 16384)
        {
            errors.Add(new("metadata", "is larger than 16 KB"));
        }
        return json;
    }

    private string? ValidateWebhook(string? url, List<ValidationDetail> errors)
    {
        if (url is null)
        {
            return null;
        }
        if (!NetworkGuard.IsHttpUrl(url, out var uri))
        {
            errors.Add(new("webhook_url", "must be an absolute http or https URL"));
        }
        else if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!))
        {
            errors.Add(new("webhook_url", "points to a private or loopback address, which is not allowed"));
        }
        return url;
    }

    private int ValidateMaxSeconds(int? value, List<ValidationDetail> errors)
    {
        var seconds = value ?? Math.Min(options.DefaultCommandRunSeconds, options.MaxCommandRunSeconds);
        if (seconds < 1 || seconds > options.MaxCommandRunSeconds)
        {
            errors.Add(new("max_command_run_seconds", $"must be between 1 and {options.MaxCommandRunSeconds}"));
        }
        return seconds;
    }

    private static int ValidateVcpu(int? value, List<ValidationDetail> errors)
    {
        if (value is < 1)
        {
            errors.Add(new("vcpu_count", "must be at least 1"));
        }
        // Honoured up to what the machine has: Rendi's clients commonly send 8.
        return Math.Clamp(value ?? Environment.ProcessorCount, 1, Environment.ProcessorCount);
    }

    private bool IsOwnUrl(Uri uri) =>
        uri.AbsoluteUri.StartsWith(options.PublicUrl.TrimEnd('/') + "/storage/", StringComparison.OrdinalIgnoreCase);
}
