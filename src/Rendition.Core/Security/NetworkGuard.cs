using System.Net;
using System.Net.Sockets;

namespace Rendition.Core.Security;

/// <summary>Decides which addresses a server-side fetch may connect to (SSRF guard).</summary>
public static class NetworkGuard
{
    /// <summary>
    /// True for addresses on the public internet; false for loopback, private, link-local, CGNAT, multicast, metadata and
    /// the like. An IPv6 address that carries an IPv4 address (mapped, compatible, translated, 6to4, NAT64, Teredo) is
    /// judged by the IPv4 address it leads to.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            address.TryWriteBytes(v4, out _);
            return IsPublicIPv4(v4);
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return false;
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        // 2001:db8::/32 is documentation space: never a real destination.
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        {
            return false;
        }
        foreach (var v4 in EmbeddedIPv4(b))
        {
            if (!IsPublicIPv4(v4))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The IPv4 addresses an IPv6 address leads to, when it carries one: mapped, compatible, translated, 6to4, Teredo,
    /// NAT64. Several when the layout is the operator's choice (local-use NAT64), so every reading is checked.
    /// </summary>
    public static IReadOnlyList<byte[]> EmbeddedIPv4(ReadOnlySpan<byte> b)
    {
        if (b.Length != 16)
        {
            return [];
        }
        var zero64 = b[..8].IndexOfAnyExcept((byte)0) < 0;
        // ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks) and ::ffff:a.b.c.d (IPv4-mapped).
        if (zero64 && b[8] == 0 && b[9] == 0 && ((b[10] == 0 && b[11] == 0) || (b[10] == 0xff && b[11] == 0xff)))
        {
            return [b[12..].ToArray()];
        }
        // ::ffff:0:a.b.c.d (IPv4-translated, SIIT).
        if (zero64 && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
        {
            return [b[12..].ToArray()];
        }
        // 2002:AABB:CCDD::/48 (6to4): the relay forwards to the IPv4 address in bits 16-47.
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return [b[2..6].ToArray()];
        }
        // 2001:0::/32 (Teredo): the client's IPv4 address is the last 32 bits, inverted.
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            return [[(byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15]]];
        }
        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            // 64:ff9b::/96, the well-known NAT64 prefix.
            if (b[4..12].IndexOfAnyExcept((byte)0) < 0)
            {
                return [b[12..].ToArray()];
            }
            // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): the operator picks the prefix length, so every RFC 6052 layout that
            // fits in the /48 is read (/48, /56, /64, /96; bits 64-71 are the reserved "u" octet, skipped).
            if (b[4] == 0 && b[5] == 1)
            {
                return [[b[6], b[7], b[9], b[10]], [b[7], b[9], b[10], b[11]], [b[9], b[10], b[11], b[12]], b[12..].ToArray()];
            }
        }
        return [];
    }

    private static bool IsPublicIPv4(ReadOnlySpan<byte> b) =>
        !(b[0] == 0
            || b[0] == 10
            || b[0] == 127
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 0 && b[2] == 0)
            || (b[0] == 192 && b[1] == 0 && b[2] == 2)
            || (b[0] == 192 && b[1] == 88 && b[2] == 99)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
            || (b[0] == 198 && b[1] == 51 && b[2] == 100)
            || (b[0] == 203 && b[1] == 0 && b[2] == 113)
            || b[0] >= 224);

    /// <summary>True when the URL is absolute http(s) with a host.</summary>
    public static bool IsHttpUrl(string? value, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 4096 || !Uri.TryCreate(value, UriKind.Absolute, out var u))
        {
            return false;
        }
        if (u.Scheme is not ("http" or "https") || string.IsNullOrEmpty(u.Host) || !string.IsNullOrEmpty(u.UserInfo))
        {
            return false;
        }
        uri = u;
        return true;
    }

    /// <summary>True when the host is written as a non-public IP literal or a name that always means this machine.</summary>
    public static bool IsObviouslyPrivateHost(Uri uri)
    {
        var host = uri.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && !IsPublic(ip);
    }
}
