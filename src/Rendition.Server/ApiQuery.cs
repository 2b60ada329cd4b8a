using System.Globalization;
using Rendition.Core;

namespace Rendition.Server;

/// <summary>A page of a listing: how many, after how many (newest first).</summary>
public readonly record struct Page(int Limit, int Offset);

/// <summary>The query parameters several endpoints read, checked the same way everywhere; problems are added to a 422's details.</summary>
public static class ApiQuery
{
    /// <summary>The longest <c>?wait=</c> a request may hold its answer for.</summary>
    public const int MaxWaitSeconds = 60;

    public const int DefaultPageSize = 50;

    /// <summary>A whole number of at least <paramref name="min"/>; <paramref name="fallback"/> when absent or wrong (and then an error is added).</summary>
    public static int WholeNumber(IQueryCollection query, string name, int fallback, int min, List<ValidationDetail> errors)
    {
        string? raw = query[name];
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

    /// <summary><c>limit</c> (1 up, capped at <paramref name="maxLimit"/>, default 50) and <c>offset</c> (0 up).</summary>
    public static Page Paging(IQueryCollection query, int maxLimit, List<ValidationDetail> errors) =>
        new(Math.Min(WholeNumber(query, "limit", DefaultPageSize, 1, errors), maxLimit), WholeNumber(query, "offset", 0, 0, errors));

    /// <summary><c>?wait=</c>: seconds, 0 to <see cref="MaxWaitSeconds"/>.</summary>
    public static TimeSpan Wait(IQueryCollection query, List<ValidationDetail> errors)
    {
        var wait = WholeNumber(query, "wait", 0, 0, errors);
        if (wait > MaxWaitSeconds)
        {
            errors.Add(new("wait", $"may be at most {MaxWaitSeconds} seconds"));
        }
        return TimeSpan.FromSeconds(wait);
    }
}
