using System.Collections.Concurrent;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Lmtp;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Tests.Lmtp;

/// <summary>
/// Stands for the list routing in the tests. RCPT: unknown@ is refused with 550 5.1.1. After DATA:
/// full@ gets 452 4.2.2, gone@ 550 5.1.1, unset@ no reply at all, everyone else 250.
/// </summary>
internal sealed class ScriptedLmtpSessionFactory : ILmtpSessionFactory
{
    public bool ThrowOnDeliver { get; set; }

    public ConcurrentQueue<ScriptedLmtpSession> Sessions { get; } = new();

    public ILmtpSession Open(SmtpConnectionInfo connection)
    {
        var session = new ScriptedLmtpSession(this);
        Sessions.Enqueue(session);
        return session;
    }

    public bool TryPeekSingle(out ScriptedLmtpSession session)
    {
        session = null!;
        return Sessions.Count == 1 && Sessions.TryPeek(out session!);
    }
}

internal sealed class ScriptedLmtpSession(ScriptedLmtpSessionFactory factory) : ILmtpSession
{
    private static readonly SmtpReply SenderOk = SmtpReply.Create(250, "2.1.0", "Sender OK");
    private static readonly SmtpReply SenderBlocked = SmtpReply.Create(550, "5.7.1", "Sender blocked");
    private static readonly SmtpReply RecipientOk = SmtpReply.Create(250, "2.1.5", "Recipient OK");
    private static readonly SmtpReply RecipientUnknown = SmtpReply.Create(550, "5.1.1", "No such list");
    private static readonly SmtpReply Delivered = SmtpReply.Create(250, "2.0.0", "Delivered");
    private static readonly SmtpReply MailboxFull = SmtpReply.Create(452, "4.2.2", "List archive full");
    private static readonly SmtpReply Gone = SmtpReply.Create(550, "5.1.1", "List closed");

    private readonly Lock _gate = new();
    private readonly List<string> _calls = [];
    private readonly List<byte[]> _messages = [];

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

    public SmtpReply MailFrom(string reversePath, long declaredSize)
    {
        Record($"Mail <{reversePath}> {declaredSize}");
        return reversePath == "blocked@example.com" ? SenderBlocked : SenderOk;
    }

    public SmtpReply RcptTo(string forwardPath)
    {
        Record($"Rcpt <{forwardPath}>");
        return forwardPath.StartsWith("unknown@", StringComparison.Ordinal) ? RecipientUnknown : RecipientOk;
    }

    public async ValueTask DeliverAsync(MessageContent message, IReadOnlyList<string> recipients, Memory<SmtpReply> replies, CancellationToken cancellationToken)
    {
        var bytes = new byte[message.Length];
        await using (var stream = message.OpenRead())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        lock (_gate)
        {
            _calls.Add($"Deliver {message.Length} to {recipients.Count}");
            _messages.Add(bytes);
        }

        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            if (recipient.StartsWith("unset@", StringComparison.Ordinal))
            {
                continue;
            }

            replies.Span[i] = recipient.StartsWith("full@", StringComparison.Ordinal) ? MailboxFull
                : recipient.StartsWith("gone@", StringComparison.Ordinal) ? Gone
                : Delivered;
        }

        if (factory.ThrowOnDeliver)
        {
            throw new InvalidOperationException("The list routing failed.");
        }
    }

    public void Reset() => Record("Reset");

    public ValueTask DisposeAsync()
    {
        Record("Dispose");
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
