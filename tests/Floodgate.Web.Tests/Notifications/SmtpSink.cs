using System.Collections.Concurrent;
using System.Net;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;
using MimeKit;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>A message as the upstream received it, and what it answered.</summary>
public sealed record SunkMessage(DateTimeOffset At, string Sender, IReadOnlyList<string> Recipients, byte[] Data, int Answer)
{
    public MimeMessage Parse() => MimeMessage.Load(new MemoryStream(Data));
}

/// <summary>
/// The provider's upstream MTA in the tests: Floodgate's own SMTP server on loopback (real SMTP on
/// the wire) with a session that keeps every message and answers what <see cref="Answer"/> says for
/// the n-th message (1-based): 250 accepts, a 4xx defers, a 5xx refuses.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable, ISmtpSessionFactory
{
    private readonly SmtpServer _server;
    private readonly ConcurrentQueue<SunkMessage> _messages = new();
    private int _count;

    private SmtpSink(Func<int, int> answer)
    {
        Answer = answer;
        var options = new SmtpServerOptions { HostName = "upstream.test" };
        options.Listeners.Add(new SmtpListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Name = "upstream" });
        _server = new SmtpServer(options, this);
    }

    public Func<int, int> Answer { get; }

    /// <summary>Addresses this upstream has no mailbox for: their RCPT gets 550 5.1.1, as Postfix's virtual table answers.</summary>
    public Func<string, bool> UnknownUser { get; set; } = static _ => false;

    /// <summary>Every message, the deferred and refused ones included.</summary>
    public IReadOnlyList<SunkMessage> Received => [.. _messages];

    public string Url => $"smtp://127.0.0.1:{_server.EndPoints[0].Port}";

    public static async Task<SmtpSink> StartAsync(Func<int, int>? answer = null)
    {
        var sink = new SmtpSink(answer ?? (_ => 250));
        await sink._server.StartAsync(CancellationToken.None);
        return sink;
    }

    /// <summary>Waits until <paramref name="count"/> messages were accepted; returns the accepted ones.</summary>
    public async Task<IReadOnlyList<SunkMessage>> WaitForAcceptedAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var accepted = Received.Where(m => m.Answer == 250).ToList();
            if (accepted.Count >= count)
                return accepted;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Expected {count} accepted messages at the upstream, got {accepted.Count} of {Received.Count}.");
            await Task.Delay(25);
        }
    }

    public ISmtpSession Open(SmtpConnectionInfo connection) => new Session(this);

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }

    private sealed class Session(SmtpSink sink) : ISmtpSession
    {
        private static readonly SmtpReply Ok = SmtpReply.Create(250, "2.0.0", "OK");
        private readonly List<string> _recipients = [];
        private string _sender = string.Empty;

        public bool MaySubmit => true;

        public bool AuthAllowed(bool isTls) => false;

        public ValueTask<SmtpReply> AuthenticateAsync(string login, string password, bool isTls, CancellationToken cancellationToken) =>
            ValueTask.FromResult(SmtpReply.Create(502, "5.5.1", "No AUTH here"));

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
            if (sink.UnknownUser(forwardPath))
                return SmtpReply.Create(550, "5.1.1", $"<{forwardPath}>: Recipient address rejected: User unknown in virtual mailbox table");
            _recipients.Add(forwardPath);
            return Ok;
        }

        public SmtpReply DataStart() => SmtpReply.Create(354, null, "Go ahead");

        public async ValueTask<SmtpReply> MessageAsync(MessageContent message, CancellationToken cancellationToken)
        {
            var bytes = new byte[message.Length];
            await using (var stream = message.OpenRead())
                await stream.ReadExactlyAsync(bytes, cancellationToken);
            var answer = sink.Answer(Interlocked.Increment(ref sink._count));
            sink._messages.Enqueue(new SunkMessage(DateTimeOffset.UtcNow, _sender, [.. _recipients], bytes, answer));
            return answer switch
            {
                250 => Ok,
                < 500 => SmtpReply.Create(answer, "4.3.0", "Try again later"),
                _ => SmtpReply.Create(answer, "5.7.1", "Refused"),
            };
        }

        public void Reset()
        {
            _sender = string.Empty;
            _recipients.Clear();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
