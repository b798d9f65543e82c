using System.Buffers.Text;

namespace Floodgate.LoadGen.Policy;

/// <summary>
/// Writes Postfix policy delegation requests (SMTPD_POLICY_README) into one reused buffer:
/// every attribute that Postfix 3.7 sends, empty ones included, so that request sizes and
/// parse work match what a server sees in production.
/// </summary>
internal sealed class PolicyRequestWriter
{
    private readonly byte[] _buffer = new byte[4096];
    private int _length;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>One request of a message from one authenticated mailbox.</summary>
    public void Write(in MessageShape message, bool endOfMessage, int recipientIndex)
    {
        _length = 0;
        Append("request=smtpd_access_policy\n"u8);
        Append(endOfMessage ? "protocol_state=END-OF-MESSAGE\n"u8 : "protocol_state=RCPT\n"u8);
        Append("protocol_name=ESMTP\nclient_address=192.0.2."u8);
        AppendNumber(1 + message.Mailbox % 250);
        Append("\nclient_name=host"u8);
        AppendNumber(1 + message.Mailbox % 250);
        Append(".isp.test\nclient_port="u8);
        AppendNumber(1024 + message.Sequence % 60000);
        Append("\nreverse_client_name=host"u8);
        AppendNumber(1 + message.Mailbox % 250);
        Append(".isp.test\nserver_address=127.0.0.1\nserver_port=587\nhelo_name=["u8);
        Append("192.0.2."u8);
        AppendNumber(1 + message.Mailbox % 250);
        Append("]\nsender="u8);
        AppendMailbox(message.Mailbox);
        Append("\nrecipient="u8);
        if (!endOfMessage)
        {
            Append("rcpt"u8);
            AppendNumber((message.Sequence * 7 + recipientIndex) % 100_000);
            Append("@dest"u8);
            AppendNumber((message.Sequence + recipientIndex) % 2_000);
            Append(".example"u8);
        }

        Append("\nrecipient_count="u8);
        AppendNumber(endOfMessage ? message.Recipients : 0);
        Append("\nqueue_id="u8);
        AppendHex(message.Sequence, upper: true);
        Append("\ninstance="u8);
        AppendHex(message.Worker, upper: false);
        Append("."u8);
        AppendHex(message.Sequence, upper: false);
        Append("."u8);
        AppendHex(message.RunStamp, upper: false);
        Append(".0\nsize="u8);
        AppendNumber(endOfMessage ? message.Size : 0);
        Append("\netrn_domain=\nstress=\nsasl_method=plain\nsasl_username="u8);
        AppendMailbox(message.Mailbox);
        Append("\nsasl_sender=\nccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"u8);
        Append("encryption_protocol=TLSv1.3\nencryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\n"u8);
        Append("policy_context=\ncompatibility_level=3.6\nmail_version=3.7.11\n\n"u8);
    }

    private void AppendMailbox(long mailbox)
    {
        // user{n}@client{n%500}.test, the shape the brief fixes for 10,000 mailboxes.
        Append("user"u8);
        AppendNumber(mailbox);
        Append("@client"u8);
        AppendNumber(mailbox % 500);
        Append(".test"u8);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void AppendNumber(long value)
    {
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    private void AppendHex(long value, bool upper)
    {
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written, new System.Buffers.StandardFormat(upper ? 'X' : 'x'));
        _length += written;
    }
}

/// <summary>What varies between messages: who sends, how many recipients, which message.</summary>
internal readonly record struct MessageShape(long Mailbox, int Recipients, long Sequence, int Worker, long RunStamp, int Size);
