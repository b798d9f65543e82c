using System.Runtime.CompilerServices;
using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Smtp;

// DATA: the content after 354, framed by SmtpDataReader into a MessageWriter of the spool, handed
// to the session as a MessageContent.
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
        if (_data.TooBig)
        {
            // RFC 1870 6.2: content beyond the limit is read to the end, then refused.
            Write(SmtpReplies.MessageTooBig);
            _transactionOpen = false;
            session.Reset();
        }
        else if (writer.OverBudget)
        {
            // Read to the end as well, so the connection stays in step for the next transaction.
            SmtpServerLog.SpoolFull(_server.Logger, _remote, writer.Length);
            Write(SmtpReplies.InsufficientStorage);
            _transactionOpen = false;
            session.Reset();
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
}
