using System.Net;
using Floodgate.Protocols.Lmtp;
using Floodgate.Protocols.Tests.Smtp;

namespace Floodgate.Protocols.Tests.Lmtp;

/// <summary>A real LMTP server on a loopback port chosen by the OS, with a scripted session behind it.</summary>
internal sealed class LmtpServerHarness : IAsyncDisposable
{
    private LmtpServerHarness(LmtpServer server, ScriptedLmtpSessionFactory sessions)
    {
        Server = server;
        Sessions = sessions;
    }

    public LmtpServer Server { get; }

    public ScriptedLmtpSessionFactory Sessions { get; }

    public static async Task<LmtpServerHarness> StartAsync(
        Action<LmtpServerOptions>? configure = null,
        ScriptedLmtpSessionFactory? sessions = null,
        TimeProvider? timeProvider = null)
    {
        var options = new LmtpServerOptions { HostName = "lists.test" };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(options);
        sessions ??= new ScriptedLmtpSessionFactory();
        var server = new LmtpServer(options, sessions, timeProvider: timeProvider);
        await server.StartAsync(CancellationToken.None);
        return new LmtpServerHarness(server, sessions);
    }

    public Task<SmtpTestClient> ConnectAsync() => SmtpTestClient.ConnectAsync(Server.EndPoints[0]);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
