using System.Collections.Concurrent;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>Stands for the policy side in the tests: fixed answers, every call recorded.</summary>
internal sealed class ScriptedSessionFactory : ISmtpSessionFactory
{
    public bool AuthRequiresTls { get; set; }

    public bool Trusted { get; set; }

    public bool ThrowOnMail { get; set; }

    public bool ThrowOnMessage { get; set; }

    public ConcurrentQueue<ScriptedSession> Sessions { get; } = new();

    public ISmtpSession Open(SmtpConnectionInfo connection)
    {
        var session = new ScriptedSession(this, connection);
        Sessions.Enqueue(session);
        return session;
    }

    public ScriptedSession Single()
    {
        Assert.Single(Sessions);
        Sessions.TryPeek(out var session);
        return session!;
    }
}

internal sealed class ScriptedSession(ScriptedSessionFactory factory, SmtpConnectionInfo connection) : ISmtpSession
{
    private static readonly SmtpReply AuthOk = SmtpReply.Create(235, "2.7.0", "Authentication successful");
    private static readonly SmtpReply AuthFailed = SmtpReply.Create(535, "5.7.8", "Authentication credentials invalid");
    private static readonly SmtpReply SenderOk = SmtpReply.Create(250, "2.1.0", "Sender OK");
    private static readonly SmtpReply SenderBlocked = SmtpReply.Create(550, "5.7.1", "Sender blocked");
    private static readonly SmtpReply RecipientOk = SmtpReply.Create(250, "2.1.5", "Recipient OK");
    private static readonly SmtpReply RecipientUnknown = SmtpReply.Create(550, "5.1.1", "Mailbox unknown");
    private static readonly SmtpReply GoAhead = SmtpReply.Create(250, "2.0.0", "Go ahead");
    private static readonly SmtpReply Queued = SmtpReply.Create(250, "2.0.0", "Queued");

    private readonly Lock _gate = new();
    private readonly List<string> _calls = [];
    private readonly List<byte[]> _messages = [];
    private readonly List<ReceivedMessage> _received = [];
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _authenticated;

    public SmtpConnectionInfo Connection { get; } = connection;

    public Task Disposed => _disposed.Task;

    public bool MaySubmit => _authenticated || factory.Trusted;

    public List<string> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public List<byte[]> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Each message as it arrived: where it was kept and the facts found on the way.</summary>
    public List<ReceivedMessage> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public bool AuthAllowed(bool isTls) => isTls || !factory.AuthRequiresTls;

    public ValueTask<SmtpReply> AuthenticateAsync(string login, string password, bool isTls, CancellationToken cancellationToken)
    {
        Record($"Auth {login}");
        _authenticated = login == "alice" && password == "secret";
        return ValueTask.FromResult(_authenticated ? AuthOk : AuthFailed);
    }

    public ValueTask<SmtpReply> MailFromAsync(string reversePath, long declaredSize, CancellationToken cancellationToken) =>
        ValueTask.FromResult(MailFrom(reversePath, declaredSize));

    public ValueTask<SmtpReply> RcptToAsync(string forwardPath, CancellationToken cancellationToken) =>
        ValueTask.FromResult(RcptTo(forwardPath));

    public SmtpReply MailFrom(string reversePath, long declaredSize)
    {
        if (factory.ThrowOnMail)
        {
            throw new InvalidOperationException("The policy side failed.");
        }

        Record($"Mail <{reversePath}> {declaredSize}");
        return reversePath == "blocked@example.com" ? SenderBlocked : SenderOk;
    }

    public SmtpReply RcptTo(string forwardPath)
    {
        Record($"Rcpt <{forwardPath}>");
        return forwardPath.StartsWith("unknown@", StringComparison.Ordinal) ? RecipientUnknown : RecipientOk;
    }

    public SmtpReply DataStart()
    {
        Record("Data");
        return GoAhead;
    }

    public async ValueTask<SmtpReply> MessageAsync(MessageContent message, CancellationToken cancellationToken)
    {
        // Read through the stream whatever the storage, so both paths are exercised the same way.
        var bytes = new byte[message.Length];
        await using (var stream = message.OpenRead())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        var received = new ReceivedMessage(bytes, message.IsSpooled, message.TryGetMemory(out _), message.Head.ToArray(), message.HasBareLineFeed, message.LongestLine, message.HasEightBit);
        lock (_gate)
        {
            _calls.Add($"Message {message.Length}");
            _messages.Add(bytes);
            _received.Add(received);
        }

        if (factory.ThrowOnMessage)
        {
            throw new InvalidOperationException("The policy side failed at the end of DATA.");
        }

        return Queued;
    }

    public void Reset() => Record("Reset");

    public ValueTask DisposeAsync()
    {
        Record("Dispose");
        _disposed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    private void Record(string call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }
    }
}

internal sealed record ReceivedMessage(byte[] Bytes, bool IsSpooled, bool InMemory, byte[] Head, bool HasBareLineFeed, int LongestLine, bool HasEightBit);
