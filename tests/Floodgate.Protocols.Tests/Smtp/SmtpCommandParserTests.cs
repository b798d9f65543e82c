using System.Text;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Tests.Smtp;

public sealed class SmtpCommandParserTests
{
    public static TheoryData<string, string, string, string> Lines => new()
    {
        { "EHLO client.example", "Ehlo", "None", "plain EHLO" },
        { "ehlo client.example  ", "Ehlo", "None", "verbs are case-insensitive, trailing blanks ignored" },
        { "EHLO", "Ehlo", "Syntax", "EHLO needs a domain" },
        { "StartTLS", "StartTls", "None", "the only eight-letter verb" },
        { "STARTTLS now", "StartTls", "Syntax", "STARTTLS takes no argument" },
        { "MAIL FROM:<>", "Mail", "None", "the null sender" },
        { "MAIL FROM: <a@b>", "Mail", "None", "a space after the colon is tolerated" },
        { "MAIL FROM:<\"a>b\"@c>", "Mail", "None", "a quoted local part may hold '>'" },
        { "MAIL FROM:<a b@c>", "Mail", "Syntax", "unquoted space in the path" },
        { "MAIL FROM:<a@b> SIZE=99999999999999999999999", "Mail", "Syntax", "SIZE beyond a long" },
        { "MAIL FROM:<a@b> SIZE=-1", "Mail", "Syntax", "SIZE is digits only" },
        { "MAIL FROM:<a@b> X-FOO=1", "Mail", "UnknownParameter", "not advertised" },
        { "MAIL FROM:<j\u00f6rg@b>", "Mail", "Syntax", "no SMTPUTF8 offered, so addresses are ASCII" },
        { "RCPT TO:<b@c>", "Rcpt", "None", "plain RCPT" },
        { "RCPT TO:<>", "Rcpt", "Syntax", "no null recipient" },
        { "RCPT TO:<b@c> ORCPT=rfc822;b@c", "Rcpt", "UnknownParameter", "DSN not advertised" },
        { "AUTH PLAIN a b", "Auth", "Syntax", "one initial response at most" },
        { "MAIL\u0000FROM:<a@b>", "Unknown", "InvalidCharacters", "NUL" },
        { "NOOP\u007f", "Unknown", "InvalidCharacters", "DEL" },
        { "M@IL FROM:<a@b>", "Unknown", "UnknownCommand", "OR-ing 0x20 turns only letters into letters" },
        { "QUITX", "Unknown", "UnknownCommand", "no prefix matching" },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void LineParsesToVerbAndError(string line, string verbName, string errorName, string reason)
    {
        var verb = Enum.Parse<SmtpVerb>(verbName);
        var error = Enum.Parse<SmtpParseError>(errorName);
        var parsed = SmtpCommandParser.TryParse(Encoding.UTF8.GetBytes(line), out var command);

        Assert.True(verb == command.Verb, reason);
        Assert.True(error == command.Error, reason);
        Assert.Equal(error == SmtpParseError.None, parsed);
    }

    [Fact]
    public void MailCarriesAddressSizeAndBody()
    {
        Assert.True(SmtpCommandParser.TryParse("MAIL FROM:<alice@example.com> size=1234 BODY=8bitmime"u8, out var command));

        Assert.Equal("alice@example.com", Encoding.ASCII.GetString(command.Argument));
        Assert.Equal(1234, command.Size);
        Assert.Equal(SmtpBodyType.EightBitMime, command.Body);
    }

    [Fact]
    public void SourceRouteIsDropped()
    {
        Assert.True(SmtpCommandParser.TryParse("RCPT TO:<@a.example,@b.example:bob@example.org>"u8, out var command));

        Assert.Equal("bob@example.org", Encoding.ASCII.GetString(command.Argument));
    }

    [Fact]
    public void AuthCarriesMechanismAndInitialResponse()
    {
        Assert.True(SmtpCommandParser.TryParse("AUTH PLAIN AGFAAGI="u8, out var command));

        Assert.Equal("PLAIN", Encoding.ASCII.GetString(command.Argument));
        Assert.Equal("AGFAAGI=", Encoding.ASCII.GetString(command.InitialResponse));
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(5321);
        var line = new byte[200];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(line);
            var length = random.Next(line.Length);
            if (random.Next(2) == 0)
            {
                // Give half the samples a real verb so the argument parsers get exercised too.
                "MAIL FROM:<"u8.CopyTo(line);
            }

            SmtpCommandParser.TryParse(line.AsSpan(0, length), out _);
        }
    }
}

public sealed class SmtpStateTableTests
{
    public static TheoryData<string, string, string, string, string> Transitions => new()
    {
        { "Smtp", "Connected", "Mail", "Refused", "MAIL needs EHLO first" },
        { "Smtp", "Connected", "Ehlo", "Greeted", "EHLO greets" },
        { "Smtp", "Connected", "Rset", "Connected", "RSET before EHLO changes nothing" },
        { "Smtp", "Greeted", "Mail", "MailGiven", "MAIL opens a transaction" },
        { "Smtp", "Greeted", "Rcpt", "Refused", "RCPT needs MAIL" },
        { "Smtp", "Greeted", "StartTls", "Connected", "RFC 3207 4.2: after TLS the client greets again" },
        { "Smtp", "MailGiven", "Data", "Refused", "DATA needs an accepted RCPT" },
        { "Smtp", "MailGiven", "Auth", "Refused", "RFC 4954 4: no AUTH inside a transaction" },
        { "Smtp", "RcptGiven", "Rcpt", "RcptGiven", "more recipients" },
        { "Smtp", "RcptGiven", "Data", "Greeted", "the transaction ends with the message" },
        { "Smtp", "RcptGiven", "Ehlo", "Greeted", "RFC 5321 4.1.4: EHLO resets" },
        { "Smtp", "RcptGiven", "Noop", "RcptGiven", "NOOP keeps the state" },
        { "Smtp", "Greeted", "Lhlo", "NotInDialect", "LHLO is LMTP only" },
        { "Lmtp", "Connected", "Lhlo", "Greeted", "RFC 2033 4.1: LHLO greets" },
        { "Lmtp", "Connected", "Ehlo", "NotInDialect", "RFC 2033 4.1: no EHLO in LMTP" },
        { "Lmtp", "Greeted", "Helo", "NotInDialect", "RFC 2033 4.1: no HELO in LMTP" },
        { "Lmtp", "Greeted", "StartTls", "NotInDialect", "the LMTP listener is loopback only: no TLS" },
        { "Lmtp", "Greeted", "Auth", "NotInDialect", "the LMTP listener is loopback only: no AUTH" },
        { "Lmtp", "RcptGiven", "Data", "Greeted", "the transaction ends with the message" },
        { "Lmtp", "RcptGiven", "Lhlo", "Greeted", "LHLO resets as EHLO does" },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void CommandInStateLeadsToState(string dialect, string state, string verb, string next, string reason)
    {
        var actual = SmtpStateTable.Next(Enum.Parse<SmtpDialect>(dialect), Enum.Parse<SmtpState>(state), Enum.Parse<SmtpVerb>(verb));
        Assert.True(Enum.Parse<SmtpState>(next) == actual, reason);
    }
}
