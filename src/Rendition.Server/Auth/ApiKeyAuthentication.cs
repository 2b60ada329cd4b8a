using System.Collections.Concurrent;
using Rendition.Core;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Server.Auth;

/// <summary>
/// Resolves the <c>X-API-KEY</c> header to an account. Keys are looked up by their SHA-256 (never stored or compared in
/// plain text); a one-second cache keeps the hot path off the database while a revoked key stops working within a second.
/// Last use is remembered in memory and written in batches by <see cref="KeyUsageFlusher"/>.
/// </summary>
public sealed class ApiKeyAuthenticator(IAccountStore accounts, TimeProvider time)
{
    public const string HeaderName = "X-API-KEY";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (KeyOwner Owner, long Until)> _cache = new(StringComparer.Ordinal);
    private ConcurrentDictionary<Guid, long> _used = new();

    public async ValueTask<KeyOwner?> AuthenticateAsync(string? key, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 256)
        {
            return null;
        }
        var hash = ApiKeys.Hash(key);
        var now = time.GetTimestamp();
        if (!_cache.TryGetValue(hash, out var hit) || hit.Until <= now)
        {
            var owner = await accounts.FindByKeyHashAsync(hash, ct);
            if (owner is null)
            {
                _cache.TryRemove(hash, out _);
                return null;
            }
            if (_cache.Count > 10_000)
            {
                _cache.Clear();
            }
            hit = (owner, now + (long)(CacheFor.TotalSeconds * time.TimestampFrequency));
            _cache[hash] = hit;
        }
        _used[hit.Owner.KeyId] = time.GetUtcNow().ToUnixTimeMilliseconds();
        return hit.Owner;
    }

    /// <summary>Hands over the keys used since the last call, with their last-use times.</summary>
    public IReadOnlyDictionary<Guid, long> TakeUsage() => Interlocked.Exchange(ref _used, new ConcurrentDictionary<Guid, long>());
}

/// <summary>Authenticates every request that carries a key, before rate limiting, so limits can be per key.</summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyAuthenticator authenticator)
{
    private static readonly object OwnerKey = new();

    public static KeyOwner? GetOwner(HttpContext context) => context.Items[OwnerKey] as KeyOwner;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Headers.TryGetValue(ApiKeyAuthenticator.HeaderName, out var key))
        {
            context.Items[OwnerKey] = await authenticator.AuthenticateAsync(key, context.RequestAborted);
        }
        await next(context);
    }
}

/// <summary>Endpoint filter for every authenticated group: 401 without a valid key.</summary>
public sealed class RequireApiKey : IEndpointFilter
{
    public static Account GetAccount(HttpContext context) =>
        ApiKeyMiddleware.GetOwner(context)?.Account ?? throw new InvalidOperationException("Endpoint is not behind RequireApiKey.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (ApiKeyMiddleware.GetOwner(context.HttpContext) is null)
        {
            return ApiResults.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                $"Missing or invalid API key. Send it in the {ApiKeyAuthenticator.HeaderName} header.");
        }
        return await next(context);
    }
}

/// <summary>Writes keys' last-use times every few seconds: one write per interval, not one per request.</summary>
public sealed class KeyUsageFlusher(ApiKeyAuthenticator authenticator, IAccountStore accounts, ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            await accounts.TouchKeysAsync(authenticator.TakeUsage(), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record API key use");
        }
    }
}
