using System.Net;
using System.Net.Sockets;

namespace Rendition.Testing;

/// <summary>Free TCP ports on loopback, for the servers a test starts.</summary>
public static class LoopbackPort
{
    /// <summary>A port nothing listens on right now (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
