using Floodgate.Core.Accounts;
using Floodgate.Protocols.DovecotAuth;

namespace Floodgate.Doors.Gateway;

/// <summary>
/// The provider's Dovecot checks the gateway's logins (PLAIN, and LOGIN collected by the gateway, both
/// sent as PLAIN) with the client's address, so Dovecot's penalties and allow_nets apply in Dovecot.
/// Anything but a clear OK or FAIL is <see cref="PasswordCheckOutcome.Unavailable"/>: 454, never a pass.
/// </summary>
internal sealed class DovecotPasswordAuthority(DovecotAuthClient client, string service) : IPasswordAuthority
{
    public async ValueTask<PasswordCheck> CheckAsync(string login, string? normalized, string password, LoginContext context, CancellationToken cancellationToken)
    {
        var request = new DovecotAuthRequest(login, password, context.ClientAddress, context.LocalAddress, context.Secured, service);
        var result = await client.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        return result.Outcome switch
        {
            DovecotAuthOutcome.Succeeded => new PasswordCheck(PasswordCheckOutcome.Valid, User: result.User),
            DovecotAuthOutcome.Failed => PasswordCheck.Invalid,
            _ when result.NotSent => PasswordCheck.Unreachable,
            _ => PasswordCheck.Unavailable,
        };
    }
}
