using System.Text;
using Floodgate.Core.Bounces;

namespace Floodgate.Core.Tests.Bounces;

/// <summary>
/// The reason table, one DSN per case (RFC 3464 fields, the diagnostic in the remote's words). Each row says why.
/// </summary>
public sealed class ReasonTableTests
{
    private static FailedRecipient Classify(string status, string diagnostic)
    {
        var message = $"""
            From: MAILER-DAEMON@mx.sender.example
            To: ann@sender.example
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="x"

            --x
            Content-Type: text/plain

            Your message could not be delivered.

            --x
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.sender.example

            Final-Recipient: rfc822; bob@receiver.example
            Action: failed
            {(status.Length > 0 ? "Status: " + status : "X-No-Status: none")}
            Diagnostic-Code: smtp; {diagnostic}

            --x--
            """;
        Assert.True(BounceClassifier.TryClassify(Encoding.UTF8.GetBytes(message), out var report));
        return Assert.Single(report.Recipients);
    }

    [Theory]
    // Text wins over code (issue 14 item 4): the code is reused loosely by receivers.
    [InlineData("5.1.1", "550 5.1.1 too many recipients this hour", BounceReason.Speeding, "a rate limit sent with 5.1.1 is not an unknown user")]
    [InlineData("5.1.1", "550 5.1.1 Sender address rejected: Domain not found", BounceReason.Rejected, "the sender's domain, not the recipient's")]
    [InlineData("5.1.1", "550 5.1.1 Amazon SES has suppressed sending to this address", BounceReason.Suppressed, "a suppression list is not a dead address")]
    [InlineData("5.0.0", "550 5.0.0 <bob@receiver.example>: User unknown in local recipient table", BounceReason.UserUnknown, "a generic code with a specific text")]
    [InlineData("5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", BounceReason.Blocked, "a DNSBL listing")]
    [InlineData("5.7.1", "554 5.7.1 <bob@receiver.example>: Relay access denied", BounceReason.NoRelaying, "Postfix's relay refusal")]
    [InlineData("5.7.1", "550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.9]", BounceReason.RequirePtr, "Postfix reject_unknown_reverse_client_hostname")]
    [InlineData("5.7.1", "550 5.7.1 Message rejected because your IP has a poor reputation", BounceReason.BadReputation, "reputation outranks the generic refusal")]
    [InlineData("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering", BounceReason.SpamDetected, "a content filter's spam verdict")]
    [InlineData("5.7.1", "550 5.7.1 Message rejected: it contains a virus (Eicar-Test-Signature)", BounceReason.VirusDetected, "a virus scanner")]
    [InlineData("5.7.1", "550 5.7.1 Unauthenticated email from sender.example is not accepted due to domain's DMARC policy", BounceReason.AuthFailure, "DMARC, though it also says policy")]
    [InlineData("5.1.1", "550 5.1.1 The user account is disabled", BounceReason.Suspend, "a disabled mailbox is not an unknown one")]
    [InlineData("5.2.2", "552 5.2.2 Mailbox size limit exceeded", BounceReason.MailboxFull, "mailbox size, not message size")]
    [InlineData("5.3.4", "552 5.3.4 Message size exceeds fixed limit", BounceReason.MesgTooBig, "Postfix message_size_limit")]
    [InlineData("4.2.2", "452 4.2.2 Over quota", BounceReason.MailboxFull, "a temporary full mailbox that finally failed")]
    [InlineData("5.5.2", "500 5.5.2 Syntax error, command unrecognized", BounceReason.SyntaxError, "an SMTP syntax error")]
    // Code only, the text saying nothing specific: RFC 3463's meaning decides.
    [InlineData("5.1.6", "550 5.1.6 Requested action not taken", BounceReason.HasMoved, "RFC 3463 X.1.6 destination mailbox has moved")]
    [InlineData("5.2.3", "552 5.2.3 Requested action not taken", BounceReason.ExceedLimit, "RFC 3463 X.2.3 per-mailbox length limit")]
    [InlineData("4.4.7", "", BounceReason.Expired, "RFC 3463 X.4.7 delivery time expired")]
    [InlineData("5.4.4", "", BounceReason.HostUnknown, "RFC 3463 X.4.4 unable to route, permanent")]
    [InlineData("5.7.25", "550 5.7.25 Requested action not taken", BounceReason.RequirePtr, "RFC 7372 reverse DNS validation failed")]
    [InlineData("5.7.26", "550 5.7.26 Requested action not taken", BounceReason.AuthFailure, "RFC 7372/8301 multiple authentication checks failed")]
    [InlineData("5.1.10", "556 5.1.10 Recipient address has null MX", BounceReason.NotAccept, "RFC 7505 null MX")]
    [InlineData("", "", BounceReason.Undefined, "no code, and prose that names no reason")]
    public void TheReasonComesFromTheTextFirstThenTheCode(string status, string diagnostic, BounceReason expected, string why)
    {
        var failed = Classify(status, diagnostic);

        Assert.True(expected == failed.Reason, $"{why}: got {failed.Reason.Name()}");
    }

    [Theory]
    [InlineData("5.1.1", "550 5.1.1 No such user", true, "the address does not exist")]
    [InlineData("5.1.2", "550 5.1.2 Host unknown", true, "its domain does not exist")]
    [InlineData("5.1.10", "556 5.1.10 Domain does not accept mail", true, "notaccept with a 5xx")]
    [InlineData("4.3.2", "421 4.3.2 System not accepting network messages", false, "notaccept, but temporary")]
    [InlineData("5.7.1", "554 5.7.1 blocked using bl.spamcop.net", false, "a policy refusal is the sender's problem")]
    [InlineData("5.2.2", "552 5.2.2 Mailbox full", false, "a full mailbox is alive")]
    [InlineData("5.7.26", "550 5.7.26 DMARC policy failure", false, "authentication is the sender's problem")]
    public void HardMeansTheAddressItselfIsDead(string status, string diagnostic, bool hard, string why)
    {
        var failed = Classify(status, diagnostic);

        Assert.True(hard == failed.Hard, $"{why}: {failed.Reason.Name()} hard={failed.Hard}");
    }

    [Fact]
    public void AStatusIsInferredFromTheReasonWhenTheBounceGivesNone()
    {
        var failed = Classify("", "550 Requested action not taken: mailbox unavailable (no such user)");

        Assert.Equal(("5.1.1", BounceReason.UserUnknown), (failed.Status, failed.Reason));
    }

    [Fact]
    public void EveryReasonNameIsSisimaisLowerCaseName()
    {
        Assert.Equal("userunknown", BounceReason.UserUnknown.Name());
        Assert.Equal("requireptr", BounceReason.RequirePtr.Name());
        Assert.Equal("failedstarttls", BounceReason.FailedStartTls.Name());
        Assert.Equal("notcompliantrfc", BounceReason.NotCompliantRfc.Name());
        foreach (var reason in Enum.GetValues<BounceReason>())
            Assert.Equal(reason.ToString().ToLowerInvariant(), reason.Name());
    }
}
