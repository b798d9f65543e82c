using System.Text;

namespace Floodgate.Protocols.Smtp;

// AUTH: what the state and the session allow, then the exchange (SmtpAuthExchange) and the
// session's answer.
internal sealed partial class SmtpConnection
{
    private SmtpAuthExchange? _auth;

    private Next StartAuth(ISmtpSession session, ref SmtpCommand command)
    {
        if (_authenticated)
        {
            return BadCommand(SmtpReplies.AlreadyAuthenticated);
        }

        SmtpAuthMechanism mechanism;
        if (Ascii.EqualsIgnoreCase(command.Argument, "PLAIN"u8))
        {
            mechanism = SmtpAuthMechanism.Plain;
        }
        else if (Ascii.EqualsIgnoreCase(command.Argument, "LOGIN"u8))
        {
            mechanism = SmtpAuthMechanism.Login;
        }
        else
        {
            Write(SmtpReplies.AuthMechanismUnknown);
            return Next.Continue;
        }

        if (!session.AuthAllowed(_isTls))
        {
            Write(SmtpReplies.EncryptionRequired);
            return Next.Continue;
        }

        _auth ??= new SmtpAuthExchange();
        return AuthStep(_auth.Start(mechanism, command.InitialResponse, out var reply), reply);
    }

    private Next ContinueAuth(ReadOnlySpan<byte> response) =>
        AuthStep(_auth!.Continue(response, out var reply), reply);

    private Next AuthStep(SmtpAuthOutcome outcome, ReadOnlySpan<byte> reply)
    {
        switch (outcome)
        {
            case SmtpAuthOutcome.Credentials:
                return Next.Authenticate;

            case SmtpAuthOutcome.Failed:
                return BadCommand(reply);

            default:
                Write(reply);
                return Next.Continue;
        }
    }

    private async ValueTask AuthenticateAsync(ISmtpSession session)
    {
        _auth!.TakeCredentials(out var login, out var password);
        var reply = await session.AuthenticateAsync(login, password, _isTls, _server.AbortToken).ConfigureAwait(false);
        WriteSessionReply(reply);
        if (reply.IsPositive)
        {
            _authenticated = true;
        }
    }
}
