using System.Collections.Concurrent;
using Rendition.Core;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Server.Auth;

/// <summary>Resolves the <c>X-API-KEY</c> header to an account, with a short cache so a revoked key stops working within a second.</summary>
public sealed class ApiKeyAuthenticator(IAccountStore accounts, TimeProvider time)
{
    public const string HeaderName = "X-API-KEY";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (Account Account, long Until)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<Account?> AuthenticateAsync(string? key, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 256)
        {
            return null;
        }
        // Keys are looked up by their SHA-256, so the comparison never touches the secret itself.
        var hash = ApiKeys.Hash(key);
        var now = time.GetTimestamp();
        if (_cache.TryGetValue(hash, out var hit) && hit.Until > now)
        {
            return hit.Account;
        }
        var account = await accounts.FindByKeyHashAsync(hash, ct);
        if (account is null)
        {
            _cache.TryRemove(hash, out _);
            return null;
        }
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }
        _cache[hash] = (account, now + (long)(CacheFor.TotalSeconds * time.TimestampFrequency));
        return account;
    }
}

/// <summary>Endpoint filter for every authenticated group: 401 without a valid key, else the account in <see cref="HttpContext.Items"/>.</summary>
public sealed class RequireApiKey(ApiKeyAuthenticator authenticator) : IEndpointFilter
{
    private static readonly object AccountKey = new();

    public static Account GetAccount(HttpContext context) =>
        context.Items[AccountKey] as Account ?? throw new InvalidOperationException("Endpoint is not behind RequireApiKey.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var account = await authenticator.AuthenticateAsync(http.Request.Headers[ApiKeyAuthenticator.HeaderName], http.RequestAborted);
        if (account is null)
        {
            return ApiResults.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                $"Missing or invalid API key. Send it in the {ApiKeyAuthenticator.HeaderName} header.");
        }
        http.Items[AccountKey] = account;
        return await next(context);
    }
}
