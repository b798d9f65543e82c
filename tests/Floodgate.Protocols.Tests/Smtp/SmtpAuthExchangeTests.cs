using System.Text;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>The SASL exchange without a socket; the wire around it is in the auth-* transcripts.</summary>
public sealed class SmtpAuthExchangeTests
{
    [Fact]
    public void PlainWithAnInitialResponseHandsTheCredentialsOverOnce()
    {
        var exchange = new SmtpAuthExchange();

        Assert.Equal(SmtpAuthOutcome.Credentials, exchange.Start(SmtpAuthMechanism.Plain, Base64("\0alice\0secret"), out _));
        exchange.TakeCredentials(out var login, out var password);
        exchange.TakeCredentials(out var again, out _);

        Assert.Equal(("alice", "secret"), (login, password));
        Assert.Equal(string.Empty, again);
        Assert.False(exchange.InProgress);
    }

    [Fact]
    public void LoginAsksForTheUserThenThePassword()
    {
        var exchange = new SmtpAuthExchange();

        Assert.Equal(SmtpAuthOutcome.Challenge, exchange.Start(SmtpAuthMechanism.Login, [], out var first));
        Assert.Equal("334 VXNlcm5hbWU6\r\n", Encoding.ASCII.GetString(first));
        Assert.True(exchange.InProgress);
        Assert.Equal(SmtpAuthOutcome.Challenge, exchange.Continue(Base64("alice"), out var second));
        Assert.Equal("334 UGFzc3dvcmQ6\r\n", Encoding.ASCII.GetString(second));
        Assert.Equal(SmtpAuthOutcome.Credentials, exchange.Continue(Base64("secret"), out _));

        exchange.TakeCredentials(out var login, out var password);
        Assert.Equal(("alice", "secret"), (login, password));
    }

    [Fact]
    public void AStarCancelsTheExchangeAsABadCommand()
    {
        var exchange = new SmtpAuthExchange();
        exchange.Start(SmtpAuthMechanism.Login, [], out _);
        exchange.Continue(Base64("alice"), out _);

        Assert.Equal(SmtpAuthOutcome.Failed, exchange.Continue("*"u8, out var reply));
        Assert.Equal("501 5.7.0 Authentication cancelled\r\n", Encoding.ASCII.GetString(reply));
        Assert.False(exchange.InProgress);
        exchange.TakeCredentials(out var login, out _);
        Assert.Equal(string.Empty, login);
    }

    [Fact]
    public void ResponsesThatAreNotBase64OfUtf8FailAsABadCommand()
    {
        var exchange = new SmtpAuthExchange();

        Assert.Equal(SmtpAuthOutcome.Failed, exchange.Start(SmtpAuthMechanism.Plain, "not base64!"u8, out var reply));
        Assert.Equal("501 5.5.2 Cannot decode response\r\n", Encoding.ASCII.GetString(reply));
        Assert.Equal(SmtpAuthOutcome.Failed, exchange.Start(SmtpAuthMechanism.Plain, Encoding.ASCII.GetBytes(Convert.ToBase64String([0, 0xff, 0, 0xfe])), out _));
    }

    [Fact]
    public void AnotherAuthorizationIdentityIsRefusedWithoutCountingAsAnError()
    {
        var exchange = new SmtpAuthExchange();

        Assert.Equal(SmtpAuthOutcome.Refused, exchange.Start(SmtpAuthMechanism.Plain, Base64("bob\0alice\0secret"), out var reply));
        Assert.Equal("535 5.7.8 Authorization identity not supported\r\n", Encoding.ASCII.GetString(reply));
    }

    private static byte[] Base64(string text) => Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)));
}
