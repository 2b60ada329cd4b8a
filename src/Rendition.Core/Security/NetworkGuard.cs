using System.Net;
using System.Net.Sockets;

namespace Rendition.Core.Security;

/// <summary>Decides which addresses a server-side fetch may connect to (SSRF guard).</summary>
public static class NetworkGuard
{
    /// <summary>True for addresses on the public internet; false for loopback, private, link-local, CGNAT, multicast, metadata and the like.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return !(b[0] == 0
                || b[0] == 10
                || b[0] == 127
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 192 && b[1] == 0 && b[2] == 2)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)
                || b[0] >= 224);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None)
                || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
            {
                return false;
            }
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            // 64:ff9b::/96 (NAT64) and 2001:db8::/32 (documentation) lead back to non-public space.
            if ((b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8))
            {
                return false;
            }
            return true;
        }

        return false;
    }

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
