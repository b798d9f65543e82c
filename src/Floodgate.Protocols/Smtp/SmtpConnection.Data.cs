using System.Runtime.CompilerServices;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Lmtp;

namespace Floodgate.Protocols.Smtp;

// DATA: the content after 354, framed by SmtpDataReader into a MessageWriter of the spool, handed
// to the session as a MessageContent; in LMTP, to the LmtpTransaction, which answers per recipient.
internal sealed partial class SmtpConnection
{
    private readonly SmtpDataReader _data = new();

    /// <summary>Reads the message after 354. False when the client went away.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReceiveMessageAsync(ISmtpSession session)
    {
        // Disposed on every path out: the client vanishing, a timeout, the session throwing.
        using var writer = _server.Spool.Begin();
        _data.Begin(writer, _options.MaxMessageSize);
        while (true)
        {
            var result = await ReadAsync(_options.DataTimeout, idle: false).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (_data.Read(ref buffer))
            {
                _reader.AdvanceTo(buffer.Start);
                break;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                // The client vanished mid-DATA: nothing is delivered.
                SmtpServerLog.ClientGoneDuringData(_server.Logger, _remote);
                _state = SmtpState.Greeted;
                _transactionOpen = false;
                session.Reset();
                return false;
            }
        }

        _state = SmtpState.Greeted;

        // RFC 2033 4.2: in LMTP every reply after DATA is given once per accepted recipient.
        var replies = session is LmtpTransaction lmtp ? lmtp.RecipientCount : 1;
        if (_data.TooBig)
        {
            // RFC 1870 6.2: content beyond the limit is read to the end, then refused.
            WriteTimes(SmtpReplies.MessageTooBig, replies);
            _transactionOpen = false;
            session.Reset();
        }
        else if (writer.OverBudget)
        {
            // Read to the end as well, so the connection stays in step for the next transaction.
            SmtpServerLog.SpoolFull(_server.Logger, _remote, writer.Length);
            WriteTimes(SmtpReplies.InsufficientStorage, replies);
            _transactionOpen = false;
            session.Reset();
        }
        else if (session is LmtpTransaction transaction)
        {
            ReadOnlyMemory<SmtpReply> delivered;
            using (var content = writer.Complete())
            {
                delivered = await transaction.DeliverAsync(content, _server.AbortToken).ConfigureAwait(false);
            }

            for (var i = 0; i < delivered.Length; i++)
            {
                var reply = delivered.Span[i];
                WriteSessionReply(reply);
                if (reply.IsPositive)
                {
                    _junkCommands = 0;
                }
            }
        }
        else
        {
            SmtpReply reply;
            using (var content = writer.Complete())
            {
                reply = await session.MessageAsync(content, _server.AbortToken).ConfigureAwait(false);
            }

            WriteSessionReply(reply);
            if (reply.IsPositive)
            {
                // A message accepted is progress: the NOOP, RSET, HELP and VRFY count starts again.
                _junkCommands = 0;
            }
        }

        await FlushAsync().ConfigureAwait(false);
        return true;
    }

    private void WriteTimes(ReadOnlySpan<byte> reply, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Write(reply);
        }
    }
}
