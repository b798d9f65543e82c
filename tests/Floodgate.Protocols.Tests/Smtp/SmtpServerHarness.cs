using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>A real server on a loopback port chosen by the OS, with a scripted session behind it.</summary>
internal sealed class SmtpServerHarness : IAsyncDisposable
{
    private SmtpServerHarness(SmtpServer server, SmtpServerOptions options, ScriptedSessionFactory sessions)
    {
        Server = server;
        Options = options;
        Sessions = sessions;
    }

    public SmtpServer Server { get; }

    public SmtpServerOptions Options { get; }

    public ScriptedSessionFactory Sessions { get; }

    public IPEndPoint EndPoint => Server.EndPoints[0];

    public static async Task<SmtpServerHarness> StartAsync(
        Action<SmtpServerOptions>? configure = null,
        ScriptedSessionFactory? sessions = null,
        TimeProvider? timeProvider = null)
    {
        var options = new SmtpServerOptions { HostName = "mx.test" };
        options.Listeners.Add(new SmtpListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Name = "test" });
        configure?.Invoke(options);
        sessions ??= new ScriptedSessionFactory();
        var server = new SmtpServer(options, sessions, timeProvider: timeProvider);
        await server.StartAsync(CancellationToken.None);
        return new SmtpServerHarness(server, options, sessions);
    }

    public async Task<SmtpTestClient> ConnectAsync(int listener = 0)
    {
        var client = await SmtpTestClient.ConnectAsync(Server.EndPoints[listener]);
        return client;
    }

    public static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mx.test");
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // Round trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
