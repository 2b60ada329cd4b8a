using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Rendition.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="RenditionClient"/> as a typed <c>HttpClient</c> with retries, timeouts and a circuit breaker.</summary>
public static class RenditionServiceCollectionExtensions
{
    /// <summary>The name of the underlying <c>HttpClient</c>, for further configuration through <c>IHttpClientFactory</c>.</summary>
    public const string HttpClientName = "Rendition.Client";

    /// <summary>
    /// Registers <see cref="RenditionClient"/> (transient, over a pooled handler) with <c>Microsoft.Extensions.Http.Resilience</c>'s
    /// standard handler. Only GET, HEAD, PUT and DELETE are retried: they are idempotent, so a retry after a lost answer changes
    /// nothing. POSTs (submissions, uploads, preset executions) are never re-sent, since a retry after a lost answer would run the
    /// job twice; on a transient error they throw and the caller decides (e.g. list recent commands by metadata before resubmitting).
    /// </summary>
    public static IHttpClientBuilder AddRenditionClient(this IServiceCollection services, Action<RenditionClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<RenditionClientOptions>().Configure(configure);
        var builder = services.AddHttpClient(HttpClientName, http =>
            {
                // The resilience handler's timeouts govern; HttpClient's own 100 s default would cut long polls and uploads short.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddTypedClient((http, sp) => new RenditionClient(http, sp.GetRequiredService<IOptions<RenditionClientOptions>>().Value));
        builder.AddStandardResilienceHandler().Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
        {
            var options = sp.GetRequiredService<IOptions<RenditionClientOptions>>().Value;
            resilience.AttemptTimeout.Timeout = options.AttemptTimeout;
            resilience.TotalRequestTimeout.Timeout = options.TotalRequestTimeout;
            // The handler refuses a sampling window shorter than twice the attempt timeout.
            resilience.CircuitBreaker.SamplingDuration = options.AttemptTimeout * 2;
            resilience.Retry.MaxRetryAttempts = options.MaxRetryAttempts;
            resilience.Retry.Delay = options.RetryDelay;
            resilience.Retry.DisableFor(HttpMethod.Post, HttpMethod.Patch, HttpMethod.Connect, HttpMethod.Options, HttpMethod.Trace);
        });
        return builder;
    }
}
