namespace Rendition.Core.Storage;

/// <summary>An account; every command and file belongs to exactly one.</summary>
public sealed record Account(Guid Id, string Name, long CreatedAt);

/// <summary>An API key as listed: never the key itself, only its first characters.</summary>
public sealed record ApiKeyInfo(Guid Id, Guid AccountId, string? Label, string DisplayPrefix, long CreatedAt, long? LastUsedAt, long? RevokedAt);

/// <summary>The account and key an API key resolves to.</summary>
public sealed record KeyOwner(Account Account, Guid KeyId);
