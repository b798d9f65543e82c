using MailKit.Net.Smtp;
using MimeKit;

namespace Floodgate.Doors.Relay;

/// <summary>
/// MailKit's client, made to relay a received message as it is (see <see cref="ReceivedContent"/>).
/// Each pooled client has its own wrapper message, so a send borrows no shared state.
/// </summary>
internal sealed class RelaySmtpClient : SmtpClient
{
    private static readonly byte[] EmptyMessage = "\r\n"u8.ToArray();

    private readonly ReceivedContent _content = new();
    private readonly MimeMessage _wrapper;

    public RelaySmtpClient()
    {
        // Parsed, not constructed: a parsed message has loose compliance, so with no headers of its
        // own MimeMessage.WriteTo adds neither MIME-Version nor a blank line before the body.
        using var empty = new MemoryStream(EmptyMessage, writable: false);
        _wrapper = MimeMessage.Load(empty);
        _wrapper.Headers.Clear();
        _wrapper.Body = _content;
    }

    /// <summary>The wrapper message writing <paramref name="received"/>; <see cref="Release"/> after the send.</summary>
    public MimeMessage Wrap(ReadOnlyMemory<byte> received)
    {
        _content.Set(received);
        return _wrapper;
    }

    /// <summary>Lets go of the received bytes (the SMTP server's pooled buffer).</summary>
    public void Release() => _content.Set(ReadOnlyMemory<byte>.Empty);

    protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
    {
        if (message.Body is ReceivedContent)
        {
            return;
        }

        base.Prepare(options, message, constraint, maxLineLength);
    }

    // RFC 1870: the SIZE parameter is the message's size; for the received bytes it is their length
    // (MailKit would otherwise write the whole message once more to a measuring stream).
    protected override long GetSize(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        message.Body is ReceivedContent content ? content.Length : base.GetSize(options, message, cancellationToken);

    protected override Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        message.Body is ReceivedContent content ? Task.FromResult((long)content.Length) : base.GetSizeAsync(options, message, cancellationToken);
}
