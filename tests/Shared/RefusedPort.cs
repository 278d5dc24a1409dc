using System.Net;
using System.Net.Sockets;

namespace Skald.Tests;

/// <summary>
/// A port on 127.0.0.1 that refuses every connection while this lives: a socket bound to it that never listens. Unlike
/// a port found free and let go (<see cref="LocalHttpServer.FreePort"/>), no server of a test running alongside can take
/// it meanwhile and answer.
/// </summary>
internal sealed class RefusedPort : IDisposable
{
    private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Binds a port of the system's choosing.</summary>
    public RefusedPort()
    {
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>Lets the port go.</summary>
    public void Dispose() => socket.Dispose();
}
