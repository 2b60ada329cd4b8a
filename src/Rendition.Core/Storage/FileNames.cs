using System.Text;

namespace Rendition.Core.Storage;

/// <summary>Names for user-supplied files: a safe stored name, and the user's own name kept for display.</summary>
public static class FileNames
{
    public const string Fallback = "upload";

    /// <summary>The user's name without path parts or control characters (for display), or null when nothing is left.</summary>
    public static string? Display(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }
        var last = raw.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var clean = new string([.. last.Where(c => !char.IsControl(c))]).Trim();
        if (clean is "" or "." or "..")
        {
            return null;
        }
        return clean.Length <= 255 ? clean : clean[..255];
    }

    /// <summary>A name safe on any file system, in a URL path and in a header: <c>[A-Za-z0-9._-]</c>, no leading dot or dash, extension kept.</summary>
    public static string Safe(string? raw)
    {
        var display = Display(raw);
        if (display is null)
        {
            return Fallback;
        }
        var sb = new StringBuilder(display.Length);
        foreach (var c in display)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }
        var safe = sb.ToString().TrimStart('.', '-');
        while (safe.Contains("..", StringComparison.Ordinal))
        {
            safe = safe.Replace("..", ".", StringComparison.Ordinal);
        }
        if (safe.Length == 0 || safe.All(c => c is '_' or '.'))
        {
            safe = Fallback + Path.GetExtension(safe);
        }
        if (safe.Length > 200)
        {
            var ext = Path.GetExtension(safe);
            safe = safe[..(200 - Math.Min(ext.Length, 20))] + (ext.Length <= 20 ? ext : "");
        }
        return safe;
    }
}
