using Floodgate.Core.Policy;
using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.Doors.Relay;

/// <summary>The upstream answered in a way SMTP does not allow, or refused the session itself (EHLO, STARTTLS, AUTH).</summary>
internal sealed class UpstreamProtocolException(string message) : IOException(message);

/// <summary>
/// One connection to the upstream MTA, speaking only what an in-line relay of a message that needs no
/// rewriting takes, pipelined (RFC 2920): MAIL, every RCPT and DATA in one write, then the content with
/// the final dot in a second. MailKit waits for the MAIL and RCPT replies before it sends DATA and writes
/// the content through a 4 KB buffer with the dot apart: 4 writes and 3 waits per message where this
/// takes 2 and 2 (bench/RESULTS.md, "Gateway: the pipelined relay client"). Used only when the upstream
/// offers PIPELINING; anything else (no PIPELINING, an AUTH mechanism other than PLAIN, a message MailKit
/// must rewrite) stays with MailKit (<see cref="SmtpUpstreamRelay"/>).
/// </summary>
internal sealed class UpstreamConnection : IAsyncDisposable
{
    // RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; some servers send longer ones.
    private const int ReplyBufferSize = 4096;

    // Content goes in one write up to this size (with the final dot); larger messages in pieces of it.
    private const int MaxContentWrite = 256 * 1024;

    private static readonly byte[] DotCrLf = ".\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _in = new byte[ReplyBufferSize];
    private Stream _stream;
    private int _inStart;
    private int _inEnd;
    private bool _broken;

    private UpstreamConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public bool Pipelining { get; private set; }

    public bool EightBitMime { get; private set; }

    private bool AuthPlain { get; set; }

    public bool Authenticated { get; private set; }

    private bool StartTlsOffered { get; set; }

    private bool SizeOffered { get; set; }

    /// <summary>False once anything left the session in a state the next message cannot start from.</summary>
    public bool IsReusable => !_broken && _socket.Connected;

    /// <summary>Set when the last <see cref="SendAsync"/> began to write the content: from then on a retry could deliver twice.</summary>
    public bool ContentStarted { get; private set; }

    /// <summary>
    /// Connects, reads the greeting, says EHLO, starts TLS as <paramref name="options"/> say (implicit for
    /// smtps://) and authenticates with AUTH PLAIN when a user name is set and the upstream offers PLAIN.
    /// When it does not, the connection comes back with <see cref="Authenticated"/> false for the caller to
    /// leave the upstream to MailKit's mechanisms.
    /// </summary>
    public static async Task<UpstreamConnection> OpenAsync(Uri uri, UpstreamOptions options, CancellationToken cancellationToken)
    {
        // NoDelay: with Nagle the last small write of each group waits for the upstream's delayed ACK.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        UpstreamConnection? connection = null;
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, cancellationToken).ConfigureAwait(false);
            connection = new UpstreamConnection(socket);
            await connection.SetUpAsync(uri, options, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Addresses this client writes as they are: printable ASCII without spaces or angle brackets (what the
    /// gateway's parser hands on for all but quoted local parts and SMTPUTF8 mail, which go through MailKit).
    /// </summary>
    public static bool IsPlainAddress(string address)
    {
        foreach (var c in address)
        {
            if (c is <= ' ' or >= '\x7f' or '<' or '>')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// One transaction: the message, as received and dot-unstuffed, to <paramref name="recipients"/>.
    /// SMTP refusals come back as a result (any refused recipient fails the whole message, as before);
    /// a broken connection throws (IOException, SocketException, OperationCanceledException).
    /// </summary>
    public async ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, ReadOnlyMemory<byte> received, bool eightBit, CancellationToken cancellationToken)
    {
        ContentStarted = false;
        var commands = ArrayPool<byte>.Shared.Rent(CommandsLength(sender, recipients));
        int length;
        try
        {
            length = WriteCommands(commands, sender, recipients, received.Length, eightBit);
            await _stream.WriteAsync(commands.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(commands);
        }

        // RFC 2920 3.1: every pipelined command gets its reply, in order, whatever happened before it.
        var mail = await ReadReplyAsync(keepText: false, cancellationToken).ConfigureAwait(false);
        if (mail.Code == 421)
        {
            // A pooled connection the upstream is closing (its idle timeout): nothing was accepted, so the
            // relay may try once more on a fresh one.
            throw new UpstreamProtocolException($"the upstream is closing the connection: {mail.Code} {mail.Text}");
        }

        var refusal = mail.Code is >= 200 and < 300 ? default : mail;
        List<RecipientRefusal>? refused = null;
        for (var i = 0; i < recipients.Count; i++)
        {
            var rcpt = await ReadReplyAsync(keepText: false, cancellationToken).ConfigureAwait(false);
            if (refusal.Code == 0 && rcpt.Code is not (>= 200 and < 300))
            {
                refusal = rcpt;
            }

            // Every permanent refusal, with its recipient: the detector counts unknown users (a harvested list).
            if (rcpt.Code >= 500 && mail.Code is >= 200 and < 300)
            {
                (refused ??= []).Add(new RecipientRefusal(i, rcpt.Code, rcpt.Text ?? string.Empty));
            }
        }

        var data = await ReadReplyAsync(keepText: false, cancellationToken).ConfigureAwait(false);
        if (refusal.Code == 0 && data.Code != 354)
        {
            refusal = data;
        }

        if (refusal.Code != 0)
        {
            await EndRefusedTransactionAsync(mail.Code is >= 200 and < 300, data.Code == 354, cancellationToken).ConfigureAwait(false);
            return Refusal(refusal.Code, refusal.Text ?? string.Empty) with { Refused = refused };
        }

        ContentStarted = true;
        await WriteContentAsync(received, cancellationToken).ConfigureAwait(false);
        var end = await ReadReplyAsync(keepText: true, cancellationToken).ConfigureAwait(false);
        if (end.Code is >= 200 and < 300)
        {
            return RelayResult.Sent(string.IsNullOrEmpty(end.Text) ? "Ok" : end.Text);
        }

        return Refusal(end.Code, end.Text ?? string.Empty);
    }

    /// <summary>Closes without QUIT: after a timeout or a broken exchange, waiting for the upstream helps nobody.</summary>
    public void Abort()
    {
        _broken = true;
        _stream.Dispose();
        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (IsReusable)
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _stream.WriteAsync("QUIT\r\n"u8.ToArray(), quit.Token).ConfigureAwait(false);
                await ReadReplyAsync(keepText: false, quit.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing anyway.
        }
        finally
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }
    }

    /// <summary>
    /// What an upstream refusal becomes for the client, from either relay client: a 5xx is passed back
    /// with its enhanced code, a 4xx becomes 451 4.4.0 so the client retries.
    /// </summary>
    internal static RelayResult Refusal(int code, string text)
    {
        var (enhanced, rest) = SplitEnhanced(text, code >= 500 ? "5.0.0" : "4.0.0");
        return DoorReplies.UpstreamRefused(code, enhanced, rest);
    }

    private static (string Enhanced, string Text) SplitEnhanced(string message, string fallback)
    {
        var span = message.AsSpan().TrimStart();
        var space = span.IndexOf(' ');
        if (space > 4 && span[0] is '2' or '4' or '5' && span[1] == '.' && span[..space].Count('.') == 2)
        {
            return (span[..space].ToString(), span[(space + 1)..].ToString());
        }

        return (fallback, message);
    }

    private async ValueTask SetUpAsync(Uri uri, UpstreamOptions options, CancellationToken cancellationToken)
    {
        if (uri.Scheme == "smtps")
        {
            await StartTlsAsync(uri.Host, options.VerifyCertificate, cancellationToken).ConfigureAwait(false);
        }

        Expect(await ReadReplyAsync(keepText: true, cancellationToken).ConfigureAwait(false), 220, "greeting");
        await EhloAsync(cancellationToken).ConfigureAwait(false);
        if (uri.Scheme != "smtps" && options.StartTls != StartTlsMode.None)
        {
            if (StartTlsOffered)
            {
                await WriteLineAsync("STARTTLS", cancellationToken).ConfigureAwait(false);
                Expect(await ReadReplyAsync(keepText: true, cancellationToken).ConfigureAwait(false), 220, "STARTTLS");
                // RFC 3207 4.2 / CVE-2011-0411: nothing the server sent before TLS may be read as after it.
                if (_inEnd != _inStart)
                {
                    throw new UpstreamProtocolException("the upstream sent data after its STARTTLS reply");
                }

                await StartTlsAsync(uri.Host, options.VerifyCertificate, cancellationToken).ConfigureAwait(false);
                await EhloAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (options.StartTls == StartTlsMode.Required)
            {
                throw new UpstreamProtocolException("the upstream does not offer STARTTLS and UpstreamRelay:StartTls is Required");
            }
        }

        if (!string.IsNullOrEmpty(options.Username) && AuthPlain)
        {
            // RFC 4616: authzid NUL authcid NUL passwd, base64 on the AUTH line (RFC 4954 4).
            var plain = Encoding.UTF8.GetBytes("\0" + options.Username + "\0" + (options.Password ?? string.Empty));
            var line = "AUTH PLAIN " + Convert.ToBase64String(plain);
            Array.Clear(plain);
            await WriteLineAsync(line, cancellationToken).ConfigureAwait(false);
            var reply = await ReadReplyAsync(keepText: true, cancellationToken).ConfigureAwait(false);
            if (reply.Code != 235)
            {
                // The password is not in the message: only the upstream's reply.
                throw new UpstreamProtocolException($"the upstream refused AUTH PLAIN: {reply.Code} {reply.Text}");
            }

            Authenticated = true;
        }
    }

    private async ValueTask StartTlsAsync(string host, bool verify, CancellationToken cancellationToken)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions { TargetHost = host };
        if (!verify)
        {
            authentication.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        await tls.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
        _stream = tls;
    }

    private async ValueTask EhloAsync(CancellationToken cancellationToken)
    {
        // The address literal of our end (RFC 5321 4.1.4): what MailKit says too when no name is set.
        var local = ((IPEndPoint)_socket.LocalEndPoint!).Address;
        local = local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
        var literal = local.AddressFamily == AddressFamily.InterNetworkV6 ? "[IPv6:" + local + "]" : "[" + local + "]";
        await WriteLineAsync("EHLO " + literal, cancellationToken).ConfigureAwait(false);
        Pipelining = EightBitMime = AuthPlain = StartTlsOffered = SizeOffered = false;
        var first = true;
        while (true)
        {
            var line = await ReadLineAsync(keepText: true, cancellationToken).ConfigureAwait(false);
            if (line.Code != 250)
            {
                throw new UpstreamProtocolException($"the upstream refused EHLO: {line.Code} {line.Text}");
            }

            // The first line names the server; each following one is a keyword with its parameters.
            if (!first)
            {
                ReadCapability(line.Text ?? string.Empty);
            }

            first = false;
            if (line.Last)
            {
                return;
            }
        }
    }

    private void ReadCapability(string line)
    {
        var space = line.IndexOf(' ');
        var keyword = space < 0 ? line : line[..space];
        if (keyword.Equals("PIPELINING", StringComparison.OrdinalIgnoreCase))
        {
            Pipelining = true;
        }
        else if (keyword.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase))
        {
            EightBitMime = true;
        }
        else if (keyword.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase))
        {
            StartTlsOffered = true;
        }
        else if (keyword.Equals("SIZE", StringComparison.OrdinalIgnoreCase))
        {
            SizeOffered = true;
        }
        else if (keyword.Equals("AUTH", StringComparison.OrdinalIgnoreCase) && space > 0)
        {
            foreach (var mechanism in line[(space + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                AuthPlain |= mechanism.Equals("PLAIN", StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    private static void Expect(Reply reply, int code, string step)
    {
        if (reply.Code != code)
        {
            throw new UpstreamProtocolException($"the upstream answered {step} with {reply.Code} {reply.Text}");
        }
    }

    private async ValueTask EndRefusedTransactionAsync(bool mailAccepted, bool dataAccepted, CancellationToken cancellationToken)
    {
        if (dataAccepted)
        {
            // RFC 2920 3.1 would have the client send a lone dot, which delivers an empty message to the
            // recipients that were accepted. All or nothing instead: drop the connection mid-DATA, so the
            // upstream discards the transaction.
            _broken = true;
            return;
        }

        if (mailAccepted)
        {
            await WriteLineAsync("RSET", cancellationToken).ConfigureAwait(false);
            var reset = await ReadReplyAsync(keepText: false, cancellationToken).ConfigureAwait(false);
            _broken |= reset.Code != 250;
        }
    }

    private static int CommandsLength(string sender, IReadOnlyList<string> recipients)
    {
        // "MAIL FROM:<>" + " BODY=8BITMIME" + " SIZE=" + 20 digits + CRLF, "RCPT TO:<>" + CRLF each, "DATA" CRLF.
        var length = 12 + sender.Length + 14 + 6 + 20 + 2 + 6;
        for (var i = 0; i < recipients.Count; i++)
        {
            length += 10 + recipients[i].Length + 2;
        }

        return length;
    }

    private int WriteCommands(byte[] buffer, string sender, IReadOnlyList<string> recipients, int size, bool eightBit)
    {
        var span = buffer.AsSpan();
        var at = Append(span, 0, "MAIL FROM:<"u8);
        at += Encoding.ASCII.GetBytes(sender, span[at..]);
        at = Append(span, at, ">"u8);
        if (eightBit)
        {
            at = Append(span, at, " BODY=8BITMIME"u8);
        }

        if (SizeOffered)
        {
            at = Append(span, at, " SIZE="u8);
            Utf8Formatter.TryFormat(size, span[at..], out var digits);
            at += digits;
        }

        at = Append(span, at, "\r\n"u8);
        for (var i = 0; i < recipients.Count; i++)
        {
            at = Append(span, at, "RCPT TO:<"u8);
            at += Encoding.ASCII.GetBytes(recipients[i], span[at..]);
            at = Append(span, at, ">\r\n"u8);
        }

        return Append(span, at, "DATA\r\n"u8);
    }

    private static int Append(Span<byte> buffer, int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(buffer[at..]);
        return at + text.Length;
    }

    /// <summary>
    /// RFC 5321 4.5.2: a line that starts with a dot gets one more; then the final dot. The received
    /// bytes end in CRLF (<see cref="RelayFormat.IsRelayableAsReceived(ReadOnlySpan{byte}, bool)"/>).
    /// </summary>
    private async ValueTask WriteContentAsync(ReadOnlyMemory<byte> received, CancellationToken cancellationToken)
    {
        var stuffed = received.Span.Count("\n."u8) + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(received.Length + stuffed, MaxContentWrite) + DotCrLf.Length);
        try
        {
            // The final dot always fits after what is filled, so the last write carries it.
            var capacity = buffer.Length - DotCrLf.Length;
            var rest = received;
            var filled = 0;
            var lineStart = true;
            while (!rest.IsEmpty)
            {
                if (filled >= capacity - 1)
                {
                    await _stream.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                    filled = 0;
                }

                // Copy up to the next line that starts with a dot, which gets one more.
                var span = rest.Span;
                if (lineStart && span[0] == (byte)'.')
                {
                    buffer[filled++] = (byte)'.';
                }

                var take = Math.Min(span.Length, capacity - filled);
                var dotLine = span[..take].IndexOf("\n."u8);
                if (dotLine >= 0)
                {
                    take = dotLine + 1;
                }

                span[..take].CopyTo(buffer.AsSpan(filled));
                filled += take;
                lineStart = span[take - 1] == (byte)'\n';
                rest = rest[take..];
            }

            DotCrLf.CopyTo(buffer.AsSpan(filled));
            filled += DotCrLf.Length;
            await _stream.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Reply> ReadReplyAsync(bool keepText, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await ReadLineAsync(keepText, cancellationToken).ConfigureAwait(false);
            if (line.Last)
            {
                return new Reply(line.Code, line.Text);
            }
        }
    }

    /// <summary>
    /// One reply line: its code, whether it is the last of the reply, and its text when asked for or when
    /// the reply is a refusal (the 250s and the 354 of a pipelined group cost no string).
    /// </summary>
    private async ValueTask<ReplyLine> ReadLineAsync(bool keepText, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTakeLine(keepText, out var line))
            {
                return line;
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool TryTakeLine(bool keepText, out ReplyLine line)
    {
        var buffered = _in.AsSpan(_inStart, _inEnd - _inStart);
        var lf = buffered.IndexOf((byte)'\n');
        if (lf < 0)
        {
            line = default;
            return false;
        }

        var text = buffered[..lf];
        _inStart += lf + 1;
        if (!text.IsEmpty && text[^1] == (byte)'\r')
        {
            text = text[..^1];
        }

        // RFC 5321 4.2: three digits, then a space (or nothing) on the last line and a hyphen on the others.
        if (text.Length < 3 || !IsDigit(text[0]) || !IsDigit(text[1]) || !IsDigit(text[2]) || (text.Length > 3 && text[3] is not ((byte)' ' or (byte)'-')))
        {
            _broken = true;
            throw new UpstreamProtocolException("the upstream sent a malformed reply line");
        }

        var code = ((text[0] - '0') * 100) + ((text[1] - '0') * 10) + (text[2] - '0');
        var last = text.Length == 3 || text[3] == (byte)' ';
        // 421 (RFC 5321 3.8): the upstream closes after it, whatever it answered.
        _broken |= code == 421;
        var kept = keepText || code >= 400 ? (text.Length > 4 ? Encoding.UTF8.GetString(text[4..]) : string.Empty) : null;
        line = new ReplyLine(code, last, kept);
        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_inStart == _inEnd)
        {
            _inStart = _inEnd = 0;
        }
        else if (_inEnd == _in.Length)
        {
            if (_inStart == 0)
            {
                _broken = true;
                throw new UpstreamProtocolException($"the upstream sent a reply line longer than {ReplyBufferSize} octets");
            }

            Buffer.BlockCopy(_in, _inStart, _in, 0, _inEnd - _inStart);
            _inEnd -= _inStart;
            _inStart = 0;
        }

        var read = await _stream.ReadAsync(_in.AsMemory(_inEnd), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _broken = true;
            throw new IOException("the upstream closed the connection");
        }

        _inEnd += read;
    }

    private readonly record struct Reply(int Code, string? Text);

    private readonly record struct ReplyLine(int Code, bool Last, string? Text);
}
