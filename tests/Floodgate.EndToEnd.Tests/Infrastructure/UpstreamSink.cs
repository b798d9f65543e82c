using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>A message as the upstream MTA received it.</summary>
public sealed record SinkMessage(string Sender, IReadOnlyList<string> Recipients, byte[] Data);

/// <summary>
/// The upstream MTA of the tests: Floodgate's own SMTP server (a real server on loopback) with a
/// session that keeps every message byte for byte, or answers what the test tells it to.
/// </summary>
public sealed class UpstreamSink : IAsyncDisposable, ISmtpSessionFactory
{
    private readonly SmtpServer _server;

    public UpstreamSink(bool tls = false)
    {
        var options = new SmtpServerOptions { HostName = "sink.test", Certificate = tls ? CreateCertificate() : null };
        options.Listeners.Add(new SmtpListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Name = "sink" });
        _server = new SmtpServer(options, this);
    }

    public ConcurrentQueue<SinkMessage> Messages { get; } = new();

    /// <summary>When set, every message is answered with this reply instead of 250.</summary>
    public SmtpReply? MessageReply { get; set; }

    public IPEndPoint EndPoint => _server.EndPoints[0];

    public string Url => $"smtp://127.0.0.1:{EndPoint.Port}";

    /// <summary>Recipients refused with this reply at RCPT (the others are accepted).</summary>
    public ConcurrentDictionary<string, SmtpReply> RefusedRecipients { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When set, AUTH is offered (after STARTTLS when the sink has TLS) and only this login and password pass.</summary>
    public (string Login, string Password)? Credentials { get; set; }

    /// <summary>Every login that authenticated, in order.</summary>
    public ConcurrentQueue<string> Logins { get; } = new();

    public int Connections => _connections;

    private int _connections;

    public static async Task<UpstreamSink> StartAsync(bool tls = false)
    {
        var sink = new UpstreamSink(tls);
        await sink._server.StartAsync(CancellationToken.None);
        return sink;
    }

    public async Task<SinkMessage> WaitForMessageAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            if (Messages.TryDequeue(out var m))
            {
                return m;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("the upstream received no message");
    }

    public ISmtpSession Open(SmtpConnectionInfo connection)
    {
        Interlocked.Increment(ref _connections);
        return new Session(this);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sink.test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }

    private sealed class Session(UpstreamSink sink) : ISmtpSession
    {
        private static readonly SmtpReply Ok = SmtpReply.Create(250, "2.0.0", "OK");
        private static readonly SmtpReply Data = SmtpReply.Create(354, null, "Go ahead");
        private readonly List<string> _recipients = [];
        private string _sender = string.Empty;

        public bool MaySubmit => true;

        public bool AuthAllowed(bool isTls) => sink.Credentials is not null;

        public ValueTask<SmtpReply> AuthenticateAsync(string login, string password, bool isTls, CancellationToken cancellationToken)
        {
            if (sink.Credentials is { } expected && expected.Login == login && expected.Password == password)
            {
                sink.Logins.Enqueue(login);
                return ValueTask.FromResult(SmtpReply.Create(235, "2.7.0", "Authentication successful"));
            }

            return ValueTask.FromResult(SmtpReply.Create(535, "5.7.8", "Authentication credentials invalid"));
        }

        public ValueTask<SmtpReply> MailFromAsync(string reversePath, long declaredSize, CancellationToken cancellationToken) =>
            ValueTask.FromResult(MailFrom(reversePath, declaredSize));

        public ValueTask<SmtpReply> RcptToAsync(string forwardPath, CancellationToken cancellationToken) =>
            ValueTask.FromResult(RcptTo(forwardPath));

        public SmtpReply MailFrom(string reversePath, long declaredSize)
        {
            _sender = reversePath;
            _recipients.Clear();
            return Ok;
        }

        public SmtpReply RcptTo(string forwardPath)
        {
            if (sink.RefusedRecipients.TryGetValue(forwardPath, out var refused))
            {
                return refused;
            }

            _recipients.Add(forwardPath);
            return Ok;
        }

        public SmtpReply DataStart() => Data;

        public async ValueTask<SmtpReply> MessageAsync(MessageContent message, CancellationToken cancellationToken)
        {
            if (sink.MessageReply is { } reply)
            {
                return reply;
            }

            var bytes = new byte[message.Length];
            await using (var stream = message.OpenRead())
            {
                await stream.ReadExactlyAsync(bytes, cancellationToken);
            }

            sink.Messages.Enqueue(new SinkMessage(_sender, [.. _recipients], bytes));
            return Ok;
        }

        public void Reset()
        {
            _sender = string.Empty;
            _recipients.Clear();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
