using Floodgate.Core.Policy;
using System.Collections.Concurrent;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

using Floodgate.Protocols.Content;

namespace Floodgate.Doors.Relay;

/// <summary>
/// In-line relay to the upstream MTA. A message that goes as it was received, to an upstream that offers
/// PIPELINING, takes <see cref="UpstreamConnection"/> (two writes per message); anything else takes
/// MailKit. Connections of both kinds are pooled and reused. The client hears 250 only after the
/// upstream accepted; any failure to reach it becomes 451 4.4.x so the client retries.
/// </summary>
internal sealed partial class SmtpUpstreamRelay : IMessageRelay
{
    private const int PipeliningUnavailable = 1;
    private static readonly RelayResult Busy = DoorReplies.UpstreamBusy;
    private static readonly RelayResult TimedOut = DoorReplies.UpstreamTimedOut;
    private static readonly RelayResult Unavailable = DoorReplies.UpstreamUnavailable;
    private readonly UpstreamOptions _options;
    private readonly Uri _uri;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentQueue<RelaySmtpClient> _idle = new();
    private readonly ConcurrentQueue<UpstreamConnection> _idlePipelined = new();

    // 0 until a connection showed the upstream cannot take pipelined relaying; then MailKit for good.
    private int _pipelining;

    public SmtpUpstreamRelay(UpstreamOptions options, ILogger<SmtpUpstreamRelay> logger)
    {
        _options = options;
        _uri = new Uri(options.Url!);
        _logger = logger;
        _slots = new SemaphoreSlim(options.PoolSize, options.PoolSize);
        _pipelining = options.Pipelining ? 0 : PipeliningUnavailable;
    }

    public string Describe() => $"upstream {_uri.Scheme}://{_uri.Host}:{_uri.Port}";

    public ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, MessageContent message, CancellationToken cancellationToken)
    {
        if (!message.TryGetMemory(out var received))
        {
            return SendSpooledAsync(sender, recipients, message, cancellationToken);
        }

        // The facts the SMTP reader found while the message arrived: no second look at the bytes.
        var relayable = message.Length > 0 && !message.HasBareLineFeed && !message.HasNul && message.LongestLine <= RelayFormat.MaxLineLength;
        return SendAsync(sender, recipients, received, relayable, relayable && message.HasEightBit, cancellationToken);
    }

    /// <summary>A message held in memory: as received through the pipelined client when it can go so, else MailKit.</summary>
    public ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, ReadOnlyMemory<byte> received, CancellationToken cancellationToken)
    {
        // One look at the bytes for both clients: lines and NULs, then 8-bit octets.
        var relayable = RelayFormat.IsRelayableAsReceived(received.Span, allowEightBit: true);
        return SendAsync(sender, recipients, received, relayable, relayable && RelayFormat.HasEightBit(received.Span), cancellationToken);
    }

    private async ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, ReadOnlyMemory<byte> received, bool relayable, bool eightBit, CancellationToken cancellationToken)
    {
        if (relayable && Volatile.Read(ref _pipelining) != PipeliningUnavailable && ArePlainAddresses(sender, recipients))
        {
            var pipelined = await SendPipelinedAsync(sender, recipients, received, eightBit, cancellationToken).ConfigureAwait(false);
            if (pipelined is { } result)
            {
                return result;
            }
        }

        return await SendWithMailKitAsync(sender, recipients, received, asReceived: relayable && !eightBit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A message too big to hold in memory: parsed from its spool file with MimeKit's persistent parser
    /// (parts stay in the file; on the thread pool) and streamed by MailKit.
    /// </summary>
    private async ValueTask<RelayResult> SendSpooledAsync(string sender, IReadOnlyList<string> recipients, MessageContent content, CancellationToken cancellationToken)
    {
        await using var stream = content.OpenRead();
        MimeMessage parsed;
        try
        {
            parsed = await Task.Run(() => MimeMessage.Load(stream, persistent: true, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return DoorReplies.MessageNotParsable;
        }

        return await SendWithMailKitAsync(sender, recipients, default, asReceived: false, cancellationToken, parsed, content.Length).ConfigureAwait(false);
    }

    /// <param name="asReceived">7-bit with CRLF lines (<see cref="RelayFormat.IsRelayableAsReceived(ReadOnlySpan{byte})"/>): no parse.</param>
    /// <param name="parsed">The message already parsed (a spooled one); <paramref name="received"/> is then not used.</param>
    private async ValueTask<RelayResult> SendWithMailKitAsync(string sender, IReadOnlyList<string> recipients, ReadOnlyMemory<byte> received, bool asReceived, CancellationToken cancellationToken, MimeMessage? parsed = null, long spooledLength = 0)
    {
        var message = parsed;
        if (message is null && !asReceived)
        {
            // MailKit's own path (BODY=8BITMIME, 7-bit downgrade, line folding) needs the parsed message.
            try
            {
                // Off the socket event thread: a parse is MIME work of unbounded size.
                message = await Task.Run(() => ReceivedMessage.Parse(received), cancellationToken).ConfigureAwait(false);
            }
            catch (FormatException)
            {
                return DoorReplies.MessageNotParsable;
            }
        }

        MailboxAddress from;
        var to = new List<MailboxAddress>(recipients.Count);
        try
        {
            from = new MailboxAddress(string.Empty, sender);
            foreach (var r in recipients)
            {
                to.Add(new MailboxAddress(string.Empty, r));
            }
        }
        catch (ParseException ex)
        {
            return DoorReplies.AddressNotRelayable(ex.Message);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Deadline(parsed is null ? received.Length : spooledLength));
        if (!await _slots.WaitAsync(_options.Timeout, cancellationToken).ConfigureAwait(false))
        {
            return Busy;
        }

        RelaySmtpClient? client = null;
        try
        {
            // A pooled connection may have been closed by the upstream while idle: one retry on a
            // fresh connection, and only when nothing was accepted yet.
            for (var attempt = 0; ; attempt++)
            {
                var reused = _idle.TryDequeue(out client);
                try
                {
                    if (client is null || !client.IsConnected)
                    {
                        client?.Dispose();
                        reused = false;
                        client = await ConnectAsync(timeout.Token).ConfigureAwait(false);
                    }

                    string response;
                    try
                    {
                        var outgoing = message ?? client.Wrap(received);
                        response = await client.SendAsync(RelayFormat.Options, outgoing, from, to, timeout.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        client.Release();
                    }

                    _idle.Enqueue(client);
                    client = null;
                    return RelayResult.Sent(string.IsNullOrEmpty(response) ? "Ok" : response);
                }
                catch (Exception ex) when (reused && attempt == 0 && ex is IOException or ServiceNotConnectedException or SmtpProtocolException)
                {
                    client?.Dispose();
                    client = null;
                }
            }
        }
        catch (SmtpCommandException ex)
        {
            Dispose(ref client, ex.StatusCode != SmtpStatusCode.ServiceNotAvailable);
            LogUpstreamRejected(_logger, (int)ex.StatusCode, ex.Message);
            var result = UpstreamConnection.Refusal((int)ex.StatusCode, ex.Message);
            // MailKit stops at the first refused recipient: that one is known, the rest are not asked.
            if (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)ex.StatusCode >= 500 && ex.Mailbox is { } refused)
            {
                for (var i = 0; i < recipients.Count; i++)
                {
                    if (string.Equals(recipients[i], refused.Address, StringComparison.OrdinalIgnoreCase))
                    {
                        return result with { Refused = [new RecipientRefusal(i, (int)ex.StatusCode, ex.Message)] };
                    }
                }
            }

            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Dispose(ref client, keep: false);
            LogUpstreamFailed(_logger, "timeout");
            return TimedOut;
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException or SslHandshakeException or AuthenticationException)
        {
            Dispose(ref client, keep: false);
            LogUpstreamFailed(_logger, ex.Message);
            return Unavailable;
        }
        finally
        {
            if (client is not null)
            {
                client.Dispose();
            }

            _slots.Release();
        }
    }

    private static bool ArePlainAddresses(string sender, IReadOnlyList<string> recipients)
    {
        if (!UpstreamConnection.IsPlainAddress(sender))
        {
            return false;
        }

        for (var i = 0; i < recipients.Count; i++)
        {
            if (!UpstreamConnection.IsPlainAddress(recipients[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The message through <see cref="UpstreamConnection"/>; null when this upstream cannot take it that
    /// way (no PIPELINING, AUTH without PLAIN, 8-bit content without 8BITMIME), for MailKit to send.
    /// </summary>
    private async ValueTask<RelayResult?> SendPipelinedAsync(string sender, IReadOnlyList<string> recipients, ReadOnlyMemory<byte> received, bool eightBit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Deadline(received.Length));
        if (!await _slots.WaitAsync(_options.Timeout, cancellationToken).ConfigureAwait(false))
        {
            return Busy;
        }

        UpstreamConnection? connection = null;
        var poolIt = false;
        try
        {
            // A pooled connection may have been closed by the upstream while idle: one retry on a fresh
            // connection, and only before any content was written (nothing can have been accepted).
            for (var attempt = 0; ; attempt++)
            {
                var reused = _idlePipelined.TryDequeue(out connection);
                try
                {
                    if (connection is null || !connection.IsReusable)
                    {
                        connection?.Abort();
                        reused = false;
                        connection = await UpstreamConnection.OpenAsync(_uri, _options, timeout.Token).ConfigureAwait(false);
                        if (!connection.Pipelining || (!string.IsNullOrEmpty(_options.Username) && !connection.Authenticated))
                        {
                            Volatile.Write(ref _pipelining, PipeliningUnavailable);
                            LogPipeliningUnavailable(_logger, connection.Pipelining ? "AUTH PLAIN is not offered" : "PIPELINING is not offered");
                            await connection.DisposeAsync().ConfigureAwait(false);
                            connection = null;
                            return null;
                        }
                    }

                    if (eightBit && !connection.EightBitMime)
                    {
                        // MailKit decides between a 7-bit downgrade and refusing.
                        poolIt = true;
                        return null;
                    }

                    var result = await connection.SendAsync(sender, recipients, received, eightBit, timeout.Token).ConfigureAwait(false);
                    if (result.Outcome != Outcome.Accepted)
                    {
                        LogUpstreamRejected(_logger, result.Code, result.Text);
                    }

                    poolIt = true;
                    return result;
                }
                catch (Exception ex) when (reused && attempt == 0 && !connection!.ContentStarted && ex is IOException or SocketException)
                {
                    connection.Abort();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogUpstreamFailed(_logger, "timeout");
            return TimedOut;
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            LogUpstreamFailed(_logger, ex.Message);
            return Unavailable;
        }
        finally
        {
            if (connection is not null)
            {
                if (poolIt && connection.IsReusable)
                {
                    _idlePipelined.Enqueue(connection);
                }
                else
                {
                    connection.Abort();
                }
            }

            _slots.Release();
        }
    }

    /// <summary>
    /// The whole exchange's deadline: Upstream:Timeout, plus the time the content takes at 100 KB/s, so a
    /// 30 MB message on a busy link is not cut off at 30 s while a stalled upstream still is.
    /// </summary>
    private TimeSpan Deadline(long contentLength) => _options.Timeout + TimeSpan.FromSeconds(contentLength / (100.0 * 1024));

    public async ValueTask DisposeAsync()
    {
        while (_idlePipelined.TryDequeue(out var connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        while (_idle.TryDequeue(out var client))
        {
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync(true).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException)
            {
            }
            finally
            {
                client.Dispose();
            }
        }
    }

    private void Dispose(ref RelaySmtpClient? client, bool keep)
    {
        if (client is null)
        {
            return;
        }

        if (keep && client.IsConnected)
        {
            _idle.Enqueue(client);
        }
        else
        {
            client.Dispose();
        }

        client = null;
    }

    private async Task<RelaySmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new RelaySmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        try
        {
            if (!_options.VerifyCertificate)
            {
                client.ServerCertificateValidationCallback = static (_, _, _, _) => true;
            }

            var security = _uri.Scheme == "smtps"
                ? SecureSocketOptions.SslOnConnect
                : _options.StartTls switch
                {
                    StartTlsMode.Required => SecureSocketOptions.StartTls,
                    StartTlsMode.None => SecureSocketOptions.None,
                    _ => SecureSocketOptions.StartTlsWhenAvailable,
                };
            // Our own socket, for NoDelay: MailKit's leaves Nagle on, and the last small write of
            // each command or of DATA then waits for the upstream's delayed ACK (40 ms on Linux):
            // 50 ms per relayed message, measured (bench/RESULTS.md, SMTP load).
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_uri.Host, _uri.Port, cancellationToken).ConfigureAwait(false);
                await client.ConnectAsync(socket, _uri.Host, _uri.Port, security, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            if (!string.IsNullOrEmpty(_options.Username))
            {
                await client.AuthenticateAsync(_options.Username, _options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream rejected the message: {Code} {Text}")]
    private static partial void LogUpstreamRejected(ILogger logger, int code, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream relaying through MailKit: {Reason}")]
    private static partial void LogPipeliningUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream unavailable: {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string reason);
}
