using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Floodgate.Protocols.Smtp;

// STARTTLS (RFC 3207) and implicit TLS (RFC 8314): the pipes are rebuilt over the TLS stream.
internal sealed partial class SmtpConnection
{
    private async ValueTask<bool> UpgradeToTlsAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        _stream = tls;
        _timeout.CancelAfter(_options.CommandTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(_server.TlsOptions!, _timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException)
        {
            SmtpServerLog.TlsFailed(_server.Logger, _remote, e);
            return false;
        }
        finally
        {
            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        _isTls = true;
        _reader = PipeReader.Create(tls, ReaderOptions);
        _writer = PipeWriter.Create(tls, WriterOptions);
        return true;
    }
}
