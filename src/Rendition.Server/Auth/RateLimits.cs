using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Rendition.Core;
using Rendition.Server.Docs;

namespace Rendition.Server.Auth;

/// <summary>
/// Per-key rate limits with ASP.NET Core's limiter: one budget for every request and a smaller one for submissions.
/// Requests without a valid key are limited per client IP, so a flood of bad keys only throttles its sender.
/// </summary>
public static class RateLimits
{
    public static void Add(IServiceCollection services, RenditionOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, ct) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await ApiResults.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                    $"Too many requests; retry after {seconds} s.");
            };
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, "all", options.RateLimitPerMinute)),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    IsSubmission(context.Request) ? Partition(context, "submit", options.SubmitLimitPerMinute) : RateLimitPartition.GetNoLimiter("none")));
        });
    }

    private static RateLimitPartition<string> Partition(HttpContext context, string bucket, int perMinute)
    {
        var path = context.Request.Path;
        // Probes, the metrics scrape, signed downloads (players issue many Range requests) and the API reference (built once,
        // then served from memory) are not metered; 0 turns limits off.
        if (perMinute <= 0 || Operations.IsOperationsPath(path) || path.StartsWithSegments("/storage") || ApiDocs.IsDocsPath(path))
        {
            return RateLimitPartition.GetNoLimiter("none");
        }
        var who = ApiKeyMiddleware.GetOwner(context) is { } owner
            ? $"key:{owner.KeyId}"
            : $"ip:{context.Connection.RemoteIpAddress}";
        return RateLimitPartition.GetTokenBucketLimiter($"{bucket}:{who}", _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static bool IsSubmission(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Value is { } p
        && (p.Contains("/run-", StringComparison.Ordinal) || p.EndsWith("/execute", StringComparison.Ordinal) || p.Contains("/files/upload", StringComparison.Ordinal)
            || p.EndsWith("/store-file", StringComparison.Ordinal));
}
