using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rendition.Core.Contracts;

/// <summary>
/// Rendi's output folder: <c>"output_files": "OUTPUT_FOLDER"</c> stores every file the command writes in its working
/// directory (inputs excluded), as one zip named <c>&lt;command_id&gt;.zip</c> and as individual files.
/// </summary>
public static class OutputFolder
{
    /// <summary>The value of <c>output_files</c> that asks for an output folder.</summary>
    public const string Flag = "OUTPUT_FOLDER";

    /// <summary>The poll key of the zip (individual files get <see cref="FileAlias"/> aliases).</summary>
    public const string ZipAlias = Flag;

    /// <summary>The generated alias of the n-th file (1-based) in ordinal name order: <c>out_1</c>, <c>out_2</c>…</summary>
    public static string FileAlias(int n) => "out_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// <c>output_files</c> as submitted: an object of <c>out_</c> aliases to file names, or a string. <see cref="IsFolder"/> is
/// set for <see cref="OutputFolder.Flag"/>; any other string is kept in <see cref="OtherText"/> for validation to refuse.
/// </summary>
[JsonConverter(typeof(RequestedOutputsConverter))]
public sealed class RequestedOutputs : Dictionary<string, string?>
{
    public RequestedOutputs()
        : base(StringComparer.Ordinal)
    {
    }

    public RequestedOutputs(IDictionary<string, string?> map)
        : base(map, StringComparer.Ordinal)
    {
    }

    public bool IsFolder { get; init; }

    /// <summary>A string other than <c>OUTPUT_FOLDER</c>, as sent.</summary>
    public string? OtherText { get; init; }

    /// <summary>True when the field was a string rather than an object.</summary>
    public bool IsText => IsFolder || OtherText is not null;
}

/// <summary>Reads and writes <see cref="RequestedOutputs"/> (an object of strings or nulls, or a string) without reflection.</summary>
public sealed class RequestedOutputsConverter : JsonConverter<RequestedOutputs>
{
    public override RequestedOutputs? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString()!;
            return text == OutputFolder.Flag ? new RequestedOutputs { IsFolder = true } : new RequestedOutputs { OtherText = text };
        }
        var map = new RequestedOutputs();
        foreach (var (key, value) in OutputMapJson.ReadObject(ref reader))
        {
            map[key] = value;
        }
        return map;
    }

    public override void Write(Utf8JsonWriter writer, RequestedOutputs value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.IsText)
        {
            writer.WriteStringValue(value.IsFolder ? OutputFolder.Flag : value.OtherText);
            return;
        }
        OutputMapJson.WriteObject(writer, value);
    }
}

/// <summary>The stored and echoed <c>output_files</c>: aliases to file names, or (empty) <c>"OUTPUT_FOLDER"</c>.</summary>
[JsonConverter(typeof(OutputFileMapConverter))]
public sealed class OutputFileMap : Dictionary<string, string>
{
    public OutputFileMap()
        : base(StringComparer.Ordinal)
    {
    }

    public OutputFileMap(IDictionary<string, string> map)
        : base(map, StringComparer.Ordinal)
    {
    }

    public bool IsFolder { get; init; }
}

/// <summary>Reads and writes <see cref="OutputFileMap"/> without reflection, so the source-generated context keeps working.</summary>
public sealed class OutputFileMapConverter : JsonConverter<OutputFileMap>
{
    public override OutputFileMap? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() == OutputFolder.Flag
                ? new OutputFileMap { IsFolder = true }
                : throw new JsonException("output_files must be an object or \"OUTPUT_FOLDER\".");
        }
        var map = new OutputFileMap();
        foreach (var (key, value) in OutputMapJson.ReadObject(ref reader))
        {
            map[key] = value ?? throw new JsonException($"output_files.{key} is null.");
        }
        return map;
    }

    public override void Write(Utf8JsonWriter writer, OutputFileMap value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.IsFolder)
        {
            writer.WriteStringValue(OutputFolder.Flag);
            return;
        }
        OutputMapJson.WriteObject(writer, value.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));
    }
}

internal static class OutputMapJson
{
    /// <summary>An object of string (or null) values; anything else is a <see cref="JsonException"/> (a 400, as for other malformed fields).</summary>
    public static List<KeyValuePair<string, string?>> ReadObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("output_files must be an object or \"OUTPUT_FOLDER\".");
        }
        var pairs = new List<KeyValuePair<string, string?>>();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return pairs;
            }
            var key = reader.GetString()!;
            reader.Read();
            var value = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Null => null,
                _ => throw new JsonException($"output_files.{key} must be a string."),
            };
            pairs.Add(KeyValuePair.Create(key, value));
        }
        throw new JsonException("output_files is not a complete object.");
    }

    public static void WriteObject(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, string?>> pairs)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in pairs)
        {
            if (value is null)
            {
                writer.WriteNull(key);
            }
            else
            {
                writer.WriteString(key, value);
            }
        }
        writer.WriteEndObject();
    }
}
