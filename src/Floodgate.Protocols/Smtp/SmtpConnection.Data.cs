using System.Buffers;

namespace Floodgate.Protocols.Smtp;

// DATA: the content after 354, framed by SmtpDataReader, handed to the session.
internal sealed partial class SmtpConnection
{
    private readonly SmtpDataReader _data = new();
    private SmtpMessageBuffer? _message;

    /// <summary>Reads the message after 354. False when the client went away.</summary>
    private async ValueTask<bool> ReceiveMessageAsync(ISmtpSession session)
    {
        _message ??= new SmtpMessageBuffer();
        _message.Clear();
        _data.Begin(_message, _options.MaxMessageSize);
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
        else
        {
            var reply = await session.MessageAsync(_message.Memory, _server.AbortToken).ConfigureAwait(false);
            WriteSessionReply(reply);
        }

        _message.Trim();
        await FlushAsync().ConfigureAwait(false);
        return true;
    }

    private void ReleaseMessageBuffer() => _message?.Release();
}

/// <summary>The message in one pooled buffer, kept with the connection for the next message.</summary>
internal sealed class SmtpMessageBuffer
{
    private const int InitialSize = 16 * 1024;

    // A buffer up to this size stays with the connection for the next message; a bigger one goes
    // back to the pool so idle connections do not hold megabytes.
    private const int KeptSize = 256 * 1024;

    private byte[]? _buffer;
    private int _length;

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    public void Clear() => _length = 0;

    public void Append(ReadOnlySpan<byte> content)
    {
        var needed = _length + content.Length;
        if (_buffer is null || needed > _buffer.Length)
        {
            var size = (int)Math.Min(Math.Max(needed, Math.Max(InitialSize, (_buffer?.Length ?? 0) * 2L)), Array.MaxLength);
            var bigger = ArrayPool<byte>.Shared.Rent(size);
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }

        content.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    public void Trim()
    {
        if (_buffer is { Length: > KeptSize })
        {
            Release();
        }
    }

    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
