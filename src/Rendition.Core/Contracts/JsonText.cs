using System.Text;
using System.Text.Json;

namespace Rendition.Core.Contracts;

/// <summary>Checks on raw JSON request bodies that hold whatever the body's types are.</summary>
public static class JsonText
{
    /// <summary>
    /// The path (<c>input_files.in_1</c>, <c>ffmpeg_commands[2]</c>) of the first string or field name that holds a NUL
    /// character, or null when none does (or the text is not JSON, which deserialising reports on its own).
    /// </summary>
    public static string? FieldWithNul(ReadOnlySpan<byte> utf8)
    {
        // Raw control characters are not valid JSON, so a NUL can only arrive escaped; most bodies skip the walk.
        if (utf8.IndexOf("\\u0000"u8) < 0)
        {
            return null;
        }
        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        frames[^1].Name = reader.GetString();
                        if (frames[^1].Name!.Contains('\0', StringComparison.Ordinal))
                        {
                            return PathOf(frames);
                        }
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        NextValue(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.String:
                        NextValue(frames);
                        if (reader.ValueIsEscaped && reader.GetString()!.Contains('\0', StringComparison.Ordinal))
                        {
                            return PathOf(frames);
                        }
                        break;
                    default:
                        NextValue(frames);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate in an escape: not a string .NET can hold, so deserialising refuses the body anyway.
            return null;
        }
        return null;
    }

    private static void NextValue(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1].Index++;
        }
    }

    private static string PathOf(List<Frame> frames)
    {
        var path = new StringBuilder();
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Name is { } name)
            {
                path.Append(path.Length > 0 ? "." : "").Append(name.Replace("\0", "\\u0000", StringComparison.Ordinal));
            }
        }
        return path.Length > 0 ? path.ToString() : "body";
    }

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;

        public int Index { get; set; } = -1;

        public string? Name { get; set; }
    }
}
