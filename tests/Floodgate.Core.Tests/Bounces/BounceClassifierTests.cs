using System.Text;
using Floodgate.Core.Bounces;

namespace Floodgate.Core.Tests.Bounces;

/// <summary>
/// Bounces of many MTAs and providers, written for these tests from the RFCs and from the MTAs' own
/// documentation of their formats (each fixture's source is the comment on its row). None is copied from a
/// bounce corpus.
/// </summary>
public sealed class BounceClassifierTests
{
    private static BounceReport Classify(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Bounces", "Messages", file));
        BounceClassifier.TryClassify(bytes, out var report);
        return report;
    }

    public static TheoryData<string, string, string, BounceReason, bool> Failures => new()
    {
        // RFC 3464 §2 multipart/report as Postfix's bounce(5) templates and DSN code write it (text, delivery-status, headers).
        { "rfc3464-postfix-userunknown.eml", "bob@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // RFC 3464 §2.1 fields in upper and lower case, tab folding, no blank line between the recipient groups.
        { "rfc3464-sloppy-two-recipients.eml", "carol@full.example", "5.2.2", BounceReason.MailboxFull, false },
        { "rfc3464-sloppy-two-recipients.eml", "dave@nowhere.invalid", "5.1.2", BounceReason.HostUnknown, true },
        // RFC 6533 §6 message/global-delivery-status with a utf-8 address type and message/global-headers.
        { "rfc6533-global.eml", "josé@exemple.example", "5.1.1", BounceReason.UserUnknown, true },
        // Exim's spec, chapter "Bounce messages" (the default bounce text) and its X-Failed-Recipients header.
        { "exim-userunknown.eml", "erin@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // Exim's spec, "Retry configuration": an address past its retry time fails with "retry timeout exceeded".
        { "exim-retry-timeout.eml", "frank@down.example", "5.4.7", BounceReason.Expired, false },
        // Postfix bounce(5) default failure template, sent without a DSN part (the pre-2.3 / notify_classes text form).
        { "postfix-text-mailboxfull.eml", "gina@receiver.example", "5.2.2", BounceReason.MailboxFull, false },
        // Sendmail's non-DSN return, per the Sendmail Installation and Operation Guide ("Transcript of session follows").
        { "sendmail-text.eml", "henry@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // qmail-send's bounce text, as qmail-send(8) and qmail's "bounce message format" (QSBMF) describe it.
        { "qmail.eml", "ivan@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // qmail-send after queuelifetime: "I'm not going to try again; this message has been in the queue too long." (QSBMF).
        { "qmail-expired.eml", "judy@stale.example", "5.4.7", BounceReason.Expired, false },
        // Exchange 2007/2010 NDR text per Microsoft's "Delivery status notifications in Exchange Server" (RESOLVER.ADR.RecipNotFound).
        { "exchange-text.eml", "kim@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // Office 365 NDR per Microsoft's "Email non-delivery reports and SMTP errors in Exchange Online" (5.1.10, null MX's code, text wins).
        { "office365.eml", "leo@contoso.example", "5.1.10", BounceReason.UserUnknown, true },
        // Gmail's "Address not found" notice per Google's "Gmail SMTP errors and codes" (550 5.1.1 wording).
        { "gmail-text.eml", "mia@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // Gmail's 550 5.7.1 "likely unsolicited mail" per the same Google page: a 5.7.1 whose text says spam.
        { "gmail-spam.eml", "nora@gmail.example", "5.7.1", BounceReason.SpamDetected, false },
        // Yahoo's "Sorry, we were unable to deliver your message" (a qmail-derived text), 554 with no enhanced code: status inferred.
        { "yahoo.eml", "oscar@yahoo.example", "5.1.1", BounceReason.UserUnknown, true },
        // Lotus Domino's "DELIVERY FAILURE ... not listed in Domino Directory" report as IBM's Domino admin help describes it.
        { "domino.eml", "paula@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // Novell GroupWise "Message status - undeliverable" notice (layout per public descriptions of GroupWise NDRs).
        { "groupwise.eml", "quinn@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // MailEnable's delivery failure notice with "[SMTP:address]" recipients (layout per MailEnable's knowledge base).
        { "mailenable.eml", "rita@receiver.example", "5.1.2", BounceReason.HostUnknown, true },
        // Courier's courierdsn text part ("UNDELIVERABLE MAIL", >>> / <<< transcript) per courier(8) documentation.
        { "courier.eml", "sam@receiver.example", "5.7.1", BounceReason.NoRelaying, false },
        // MDaemon's "PERMANENT fatal delivery errors" notice with its session transcript (MDaemon manual, "DSN settings").
        { "mdaemon.eml", "tina@receiver.example", "5.7.1", BounceReason.Blocked, false },
        // Zimbra (Postfix underneath), remote 5.7.26 per RFC 8601/7372 and Google's sender guidelines: authentication.
        { "zimbra.eml", "uma@receiver.example", "5.7.26", BounceReason.AuthFailure, false },
        // Amazon SES suppression-list bounce per SES's "Bounce types" documentation: 5.1.1 in Status, the text wins.
        { "ses-suppressed.eml", "victor@receiver.example", "5.1.1", BounceReason.Suppressed, false },
        // Exchange 2003's NDR per Microsoft KB 284204 ("The following recipient(s) could not be reached", "#5.1.1" in angle brackets).
        { "exchange2003.eml", "walt@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
        // Exim's spec, "Bounce messages": several failed addresses, each with its own indented error.
        { "exim-two-recipients.eml", "xena@full.example", "4.2.2", BounceReason.MailboxFull, false },
        { "exim-two-recipients.eml", "yusuf@gone.invalid", "5.1.2", BounceReason.HostUnknown, true },
        // RFC 3464 fields pasted into a text/plain notice (no message/delivery-status part), a display name in Final-Recipient.
        { "dsn-fields-in-text.eml", "zack@receiver.example", "5.2.1", BounceReason.Suspend, false },
        // Office 365's NDR as HTML only (Microsoft's "Email non-delivery reports in Exchange Online", STOREDRV quota text).
        { "office365-html-only.eml", "ben@contoso.example", "5.2.2", BounceReason.MailboxFull, false },
        // An Exim-layout bounce with a localised (German) template, 8-bit UTF-8 and no charset declared.
        { "localised-german-8bit.eml", "carl@empfaenger.example", "5.1.1", BounceReason.UserUnknown, true },
        // A Yahoo/qmail-style text whose returned message is a second text/plain part: its To and body addresses are not recipients.
        { "original-as-text-part.eml", "dora@receiver.example", "5.7.1", BounceReason.SpamDetected, false },
        // MIME broken as real MTAs break it: an unclosed boundary, base64 that is not, an unknown charset, NULs.
        { "malformed.eml", "abe@receiver.example", "5.1.1", BounceReason.UserUnknown, true },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void AFailedRecipientIsFoundWithItsStatusReasonAndHardness(string file, string recipient, string status, BounceReason reason, bool hard)
    {
        var report = Classify(file);

        Assert.Equal(BounceKind.Failure, report.Kind);
        var failed = Assert.Single(report.Recipients, r => r.Recipient == recipient);
        Assert.Equal((status, reason, hard), (failed.Status, failed.Reason, failed.Hard));
        Assert.NotEmpty(failed.Diagnostic);
    }

    [Theory]
    [InlineData("rfc3464-delivered.eml")]        // RFC 3464 §2.3.3 Action: delivered, expanded, relayed
    [InlineData("rfc3464-delayed.eml")]          // RFC 3464 §2.3.3 Action: delayed, Postfix's delay warning
    [InlineData("autoreply-rfc3834.eml")]        // RFC 3834 §5 Auto-Submitted: auto-replied
    [InlineData("autoreply-outofoffice.eml")]    // Exchange's "Automatic reply:" with X-Autoreply and Precedence: auto_reply, bounce-like words in it
    [InlineData("autoreply-subject-only.eml")]   // an "Out of Office:" subject and nothing else
    [InlineData("ordinary.eml")]                 // a person's mail that mentions "rejected" and postmaster
    public void WhatReportsNoFailureIsNotABounce(string file)
    {
        var report = Classify(file);

        Assert.Equal(BounceKind.NotBounce, report.Kind);
        Assert.Empty(report.Recipients);
        Assert.Null(report.Error);
    }

    [Fact]
    public void TheReturnedMessageSentAsPlainTextAddsNoRecipients()
    {
        var report = Classify("original-as-text-part.eml");

        Assert.Equal("dora@receiver.example", Assert.Single(report.Recipients).Recipient);
    }

    [Fact]
    public void AnArfReportIsFeedbackWithItsTypeRecipientAndSender()
    {
        // RFC 5965 Appendix B.1's example report, dates and names changed.
        var report = Classify("arf-abuse.eml");

        Assert.Equal(BounceKind.Feedback, report.Kind);
        var complaint = Assert.Single(report.Recipients);
        Assert.Equal(("user@isp.example", BounceReason.Feedback, "abuse", "somespammer@sender.example", false),
            (complaint.Recipient, complaint.Reason, complaint.FeedbackType, complaint.OriginalSender, complaint.Hard));
    }

    [Fact]
    public void AnArfReportWithoutOriginalRcptToTakesTheComplainantFromTheReturnedHeaders()
    {
        // RFC 5965 §3.1: Original-Rcpt-To is optional; §2 allows text/rfc822-headers for the returned message.
        var report = Classify("arf-headers-only.eml");

        var complaint = Assert.Single(report.Recipients);
        Assert.Equal(("wendy@mailbox.example", "fraud", "offers@sender.example"), (complaint.Recipient, complaint.FeedbackType, complaint.OriginalSender));
    }

    [Fact]
    public void AJunkMailReportingProgramComplaintIsFeedback()
    {
        // Microsoft JMRP (pre-ARF): the complainant in X-HmXmrOriginalRecipient, the message returned whole.
        var report = Classify("jmrp.eml");

        var complaint = Assert.Single(report.Recipients);
        Assert.Equal((BounceKind.Feedback, "amy@hotmail.example", "abuse"), (report.Kind, complaint.Recipient, complaint.FeedbackType));
    }

    [Fact]
    public void ABounceThatNamesNoRecipientSaysSoInsteadOfGuessing()
    {
        var report = Classify("no-recipient.eml");

        Assert.Equal(BounceKind.Failure, report.Kind);
        Assert.Empty(report.Recipients);
        Assert.Contains("no failed recipient", report.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0, 1, 2, 0xff, 0xfe, 10, 10, 0x80 })]
    public void InputThatIsNoMessageGivesAReportNotAnException(byte[] bytes)
    {
        BounceClassifier.TryClassify(bytes, out var report);

        Assert.Equal(BounceKind.NotBounce, report.Kind);
        Assert.Empty(report.Recipients);
    }

    [Fact]
    public void AHugeBounceIsReadOnlyAsFarAsItsFirst64KiB()
    {
        // A recipient within the bound is found; one placed after 2 MiB of transcript is never read.
        var text = new StringBuilder();
        text.Append("From: MAILER-DAEMON@mx.sender.example\nTo: ann@sender.example\nSubject: Undelivered Mail Returned to Sender\n\n");
        text.Append("This is the mail system at host mx.sender.example.\n\n<near@receiver.example>: host mx said: 550 5.1.1 User unknown\n\n");
        for (var i = 0; i < 50_000; i++)
            text.Append("    padding line of a very long session transcript\n");
        text.Append("<far@receiver.example>: host mx said: 550 5.1.1 User unknown\n");
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        Assert.True(bytes.Length > 2 * 1024 * 1024);

        BounceClassifier.TryClassify(bytes, out var report);

        var failed = Assert.Single(report.Recipients);
        Assert.Equal("near@receiver.example", failed.Recipient);
        Assert.True(failed.Diagnostic.Length <= 1000);
    }

    [Fact]
    public void ADsnWithAnEmptyFinalRecipientTakesTheAddressFromXFailedRecipientsAndKeepsItsStatus()
    {
        // RFC 3464 §2.3.2 makes Final-Recipient required; some MTAs send it empty. Exim's X-Failed-Recipients names it.
        var message = "From: MAILER-DAEMON@mx.sender.example\nTo: ann@sender.example\nSubject: Undelivered Mail\nX-Failed-Recipients: quentin@receiver.example\n"
            + "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nDelivery failed.\n"
            + "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822;\nAction: failed\nStatus: 5.2.2\n"
            + "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n--b--\n";
        BounceClassifier.TryClassify(Encoding.ASCII.GetBytes(message), out var report);

        var failed = Assert.Single(report.Recipients);
        Assert.Equal(("quentin@receiver.example", "5.2.2", BounceReason.MailboxFull), (failed.Recipient, failed.Status, failed.Reason));
    }

    [Fact]
    public void ADsnThatNamesNoRecipientAnywhereGivesNoLineWithAnEmptyAddress()
    {
        var message = "From: MAILER-DAEMON@mx.sender.example\nTo: ann@sender.example\nSubject: Undelivered Mail\n"
            + "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nDelivery failed.\n"
            + "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822;\nAction: failed\nStatus: 5.1.1\n--b--\n";
        BounceClassifier.TryClassify(Encoding.ASCII.GetBytes(message), out var report);

        Assert.Equal(BounceKind.Failure, report.Kind);
        Assert.Empty(report.Recipients);
        Assert.NotNull(report.Error);
    }

    [Fact]
    public void AVerpReturnAddressNamesTheMemberWhenTheBounceTextDoesNot()
    {
        // Issue 14 item 2 posts with VERP: list-bounces+member=domain@list-host. A terse bounce naming nobody still resolves.
        var message = "From: MAILER-DAEMON@mx.receiver.example\nTo: news-bounces+pat=receiver.example@lists.sender.example\nSubject: Mail delivery failed\n\n"
            + "This message was created automatically by mail delivery software.\n\n550 5.1.1 Recipient address rejected: User unknown\n";
        BounceClassifier.TryClassify(Encoding.ASCII.GetBytes(message), out var report);

        var failed = Assert.Single(report.Recipients);
        Assert.Equal(("pat@receiver.example", BounceReason.UserUnknown), (failed.Recipient, failed.Reason));
    }
}
