namespace Rendition.Client;

/// <summary>Body of <c>PUT /api/v1/webhook-config</c>.</summary>
public sealed class WebhookConfigRequest
{
    /// <summary>Where webhooks are POSTed.</summary>
    public string Url { get; set; } = "";

    /// <summary>16–256 characters; when null the existing secret is kept, or a new one is generated and returned once.</summary>
    public string? Secret { get; set; }
}

/// <summary>Answer of <c>PUT /api/v1/webhook-config</c>.</summary>
public sealed class WebhookConfigSetResponse
{
    /// <summary>Always true on success.</summary>
    public bool Success { get; set; }

    /// <summary>The configured URL.</summary>
    public string Url { get; set; } = "";

    /// <summary>Only when the server generated the secret: shown this once, keep it.</summary>
    public string? Secret { get; set; }
}

/// <summary>The account's webhook configuration (<c>GET /api/v1/webhook-config</c>).</summary>
public sealed class WebhookConfig
{
    /// <summary>False when none was ever set.</summary>
    public bool Configured { get; set; }

    /// <summary>The configured URL.</summary>
    public string? Url { get; set; }

    /// <summary>False after <c>DELETE</c> or after too many consecutive failures.</summary>
    public bool IsActive { get; set; }

    /// <summary>Failed attempts in a row.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>ISO 8601 time the webhook was disabled, if it was.</summary>
    public string? DisabledAt { get; set; }
}

/// <summary>What a webhook POSTs: the command as it is when sent, and when that was.</summary>
public sealed class WebhookPayload
{
    /// <summary>The poll object.</summary>
    public CommandResult Data { get; set; } = new();

    /// <summary>Unix milliseconds.</summary>
    public long Timestamp { get; set; }
}

/// <summary>One attempt of a webhook delivery.</summary>
public sealed class WebhookAttempt
{
    /// <summary>ISO 8601 time.</summary>
    public string AttemptedAt { get; set; } = "";

    /// <summary>The URL it went to.</summary>
    public string Url { get; set; } = "";

    /// <summary>The receiver's HTTP status, when it answered.</summary>
    public int? HttpStatus { get; set; }

    /// <summary>The network error, when it did not.</summary>
    public string? Error { get; set; }

    /// <summary>How long the attempt took.</summary>
    public int DurationMs { get; set; }
}

/// <summary>One webhook delivery of a command and its attempts.</summary>
public sealed class WebhookDelivery
{
    /// <summary>The delivery's id.</summary>
    public string DeliveryId { get; set; } = "";

    /// <summary><c>PENDING</c>, <c>DELIVERED</c>, <c>FAILED</c>…</summary>
    public string Status { get; set; } = "";

    /// <summary>Attempts so far.</summary>
    public int AttemptCount { get; set; }

    /// <summary>ISO 8601 time.</summary>
    public string CreatedAt { get; set; } = "";

    /// <summary>When the next attempt is due, while pending.</summary>
    public string? NextAttemptAt { get; set; }

    /// <summary>Every attempt.</summary>
    public List<WebhookAttempt> Attempts { get; set; } = [];
}

/// <summary>Answer of <c>GET /api/v1/commands/:id/webhook-deliveries</c>.</summary>
public sealed class WebhookDeliveryList
{
    /// <summary>The command's deliveries.</summary>
    public List<WebhookDelivery> Deliveries { get; set; } = [];
}

/// <summary>Answer of a redelivery request.</summary>
public sealed class RedeliverResponse
{
    /// <summary>The new delivery's id.</summary>
    public string DeliveryId { get; set; } = "";
}
