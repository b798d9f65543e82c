using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace Floodgate.Protocols.Smtp;

internal enum SmtpAuthMechanism : byte
{
    Plain,
    Login,
}

/// <summary>What the connection does after a step of <see cref="SmtpAuthExchange"/>.</summary>
internal enum SmtpAuthOutcome : byte
{
    /// <summary>Write the reply (a 334 challenge); the client's next line is its response.</summary>
    Challenge,

    /// <summary>The credentials are complete: take them and ask the session.</summary>
    Credentials,

    /// <summary>Write the reply; the exchange is over and it counts as a bad command (501).</summary>
    Failed,

    /// <summary>Write the reply; the exchange is over, and it is no protocol error (535).</summary>
    Refused,
}

/// <summary>
/// The SASL side of AUTH PLAIN (RFC 4616) and LOGIN: challenges, base64 responses, the
/// credentials until the session has them. No socket, no session: the connection writes the reply
/// and counts the errors.
/// </summary>
internal sealed class SmtpAuthExchange
{
    private Step _step;
    private string? _pendingLogin;
    private string? _login;
    private string? _password;

    private enum Step : byte
    {
        None,
        PlainResponse,
        LoginUser,
        LoginPassword,
    }

    /// <summary>True while the server waits for a response line instead of a command.</summary>
    public bool InProgress => _step != Step.None;

    /// <summary>AUTH with a mechanism the connection already allowed; an empty initial response asks for one.</summary>
    public SmtpAuthOutcome Start(SmtpAuthMechanism mechanism, ReadOnlySpan<byte> initialResponse, out ReadOnlySpan<byte> reply)
    {
        Abandon();
        _step = mechanism == SmtpAuthMechanism.Plain ? Step.PlainResponse : Step.LoginUser;
        if (initialResponse.IsEmpty)
        {
            reply = mechanism == SmtpAuthMechanism.Plain ? SmtpReplies.AuthContinue : SmtpReplies.AuthUsername;
            return SmtpAuthOutcome.Challenge;
        }

        return Continue(initialResponse, out reply);
    }

    /// <summary>The client's response line to the last challenge.</summary>
    public SmtpAuthOutcome Continue(ReadOnlySpan<byte> response, out ReadOnlySpan<byte> reply)
    {
        var step = _step;
        _step = Step.None;
        reply = default;

        // RFC 4954 4: "*" cancels the exchange.
        if (response.SequenceEqual("*"u8))
        {
            Abandon();
            reply = SmtpReplies.AuthCancelled;
            return SmtpAuthOutcome.Failed;
        }

        // Credentials are decoded on the stack and wiped there; only the two strings the session
        // interface needs leave it. 768 bytes hold what a 1000-octet line can carry in base64.
        Span<byte> decoded = stackalloc byte[768];
        var length = 0;
        var ok = response.SequenceEqual("="u8) // RFC 4954 4: "=" is an empty response
            || (Base64.DecodeFromUtf8(response, decoded, out var consumed, out length) == OperationStatus.Done
                && consumed == response.Length
                && Utf8.IsValid(decoded[..length]));
        try
        {
            if (!ok)
            {
                Abandon();
                reply = SmtpReplies.AuthBadEncoding;
                return SmtpAuthOutcome.Failed;
            }

            var text = decoded[..length];
            switch (step)
            {
                case Step.PlainResponse:
                    // RFC 4616 2: [authzid] NUL authcid NUL passwd
                    var first = text.IndexOf((byte)0);
                    var second = first < 0 ? -1 : text[(first + 1)..].IndexOf((byte)0);
                    if (second < 0 || text[(first + 1 + second + 1)..].IndexOf((byte)0) >= 0)
                    {
                        reply = SmtpReplies.AuthBadEncoding;
                        return SmtpAuthOutcome.Failed;
                    }

                    var authzid = text[..first];
                    var authcid = text.Slice(first + 1, second);
                    if (!authzid.IsEmpty && !authzid.SequenceEqual(authcid))
                    {
                        // Acting for another identity is not offered.
                        reply = SmtpReplies.AuthorizationIdentityRefused;
                        return SmtpAuthOutcome.Refused;
                    }

                    _login = Encoding.UTF8.GetString(authcid);
                    _password = Encoding.UTF8.GetString(text[(first + 1 + second + 1)..]);
                    return SmtpAuthOutcome.Credentials;

                case Step.LoginUser:
                    _pendingLogin = Encoding.UTF8.GetString(text);
                    _step = Step.LoginPassword;
                    reply = SmtpReplies.AuthPassword;
                    return SmtpAuthOutcome.Challenge;

                default:
                    _login = _pendingLogin;
                    _pendingLogin = null;
                    _password = Encoding.UTF8.GetString(text);
                    return SmtpAuthOutcome.Credentials;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decoded);
        }
    }

    /// <summary>Hands the credentials over once, after <see cref="SmtpAuthOutcome.Credentials"/>; none are kept.</summary>
    public void TakeCredentials(out string login, out string password)
    {
        login = _login ?? string.Empty;
        password = _password ?? string.Empty;
        Abandon();
    }

    /// <summary>Ends any exchange and drops the credentials (a too-long line, the connection closing).</summary>
    public void Abandon()
    {
        _step = Step.None;
        _pendingLogin = null;
        _login = null;
        _password = null;
    }
}
