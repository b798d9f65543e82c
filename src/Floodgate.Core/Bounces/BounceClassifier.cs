using MimeKit;

namespace Floodgate.Core.Bounces;

/// <summary>
/// Reads one message as a bounce: not a bounce (auto-replies, success and delay notices, ordinary mail), a
/// failure report with its failed recipients, or an ARF complaint. Pure: no I/O beyond the bytes given.
/// Work is bounded on huge messages: only the first <see cref="MaxTextBytes"/> of each human-readable part
/// and of each report part is read, and at most <see cref="MaxParts"/> MIME parts are visited.
/// </summary>
public static partial class BounceClassifier
{
    public const int MaxTextBytes = 64 * 1024;
    public const int MaxParts = 64;
    private const int MaxDepth = 8;
    private const int MaxDiagnosticChars = 1000;

    /// <summary>Never throws on input: a message MimeKit cannot read gives a report with an <see cref="BounceReport.Error"/> and false.</summary>
    public static bool TryClassify(byte[] message, out BounceReport report)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var stream = new MemoryStream(message, writable: false);
        return TryClassify(stream, out report);
    }

    public static bool TryClassify(Stream message, out BounceReport report)
    {
        ArgumentNullException.ThrowIfNull(message);
        MimeMessage parsed;
        try
        {
            // persistent: part contents stay slices of the stream instead of copies, so a huge attachment costs nothing.
            parsed = MimeMessage.Load(ParserOptions.Default, message, persistent: message.CanSeek);
        }
        catch (Exception e) when (e is FormatException or IOException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            report = BounceReport.Malformed("not a MIME message: " + e.Message);
            return false;
        }

        report = Classify(parsed);
        return report.Error is null || report.Kind is not BounceKind.NotBounce;
    }

    public static BounceReport Classify(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            return ClassifyParsed(message);
        }
        catch (Exception e) when (e is FormatException or IOException or ArgumentException or InvalidOperationException or NotSupportedException or System.Text.DecoderFallbackException or System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            // A part MimeKit accepted but cannot decode (a broken base64 body, an unknown charset): report, don't crash.
            return BounceReport.Malformed("unreadable part: " + e.Message);
        }
    }

    private static BounceReport ClassifyParsed(MimeMessage message)
    {
        var parts = new Parts();
        parts.Walk(message.Body, 0);
        var context = new Context(message, parts);
        var report = ClassifyParts(message, parts, context);
        if (report.Kind == BounceKind.Failure && report.Recipients.Count > 0 && parts.OriginalHeaders is not null)
        {
            // What names the sender of the message that bounced, read as for a complaint: the trace header, the Message-ID.
            var (messageId, feedbackIds) = ComplaintFacts.FromOriginal(parts.OriginalHeaders);
            report = report with { OriginalMessageId = messageId, OriginalFeedbackIds = feedbackIds };
        }

        return report;
    }

    private static BounceReport ClassifyParts(MimeMessage message, Parts parts, Context context)
    {

        if (parts.FeedbackReport is not null || IsFeedbackReport(message, parts, out _))
            return Feedback(context);
        if (message.Headers["X-HmXmrOriginalRecipient"] is { } complainant)
            return JunkMailReport(context, complainant);

        if (parts.DeliveryStatus.Length > 0)
        {
            var report = FromDeliveryStatus(context, parts.DeliveryStatus.ToString());
            if (report is not null)
                return report;
        }

        // No machine-readable part: prose only. An auto-reply is never a bounce, however it is worded.
        var bounceLike = context.LooksLikeBounce();
        if (IsAutoReply(message) && !(bounceLike && Signals.BounceBody().IsMatch(context.Section)))
            return BounceReport.NotBounce;

        // Some MTAs (and forwarded DSNs) put RFC 3464 fields in the text itself.
        if (context.Section.Contains("Final-Recipient:", StringComparison.OrdinalIgnoreCase))
        {
            var report = FromDeliveryStatus(context, context.Section);
            if (report is not null)
                return report;
        }

        if (!bounceLike)
            return BounceReport.NotBounce;
        if (Signals.NoFailure().IsMatch(context.Section) && !Signals.Failure().IsMatch(context.Section))
            return BounceReport.NotBounce;
        return FromText(context);
    }

    private static BounceReport? FromDeliveryStatus(Context context, string text)
    {
        var groups = ReportFields.Parse(text);
        var recipients = new List<FailedRecipient>();
        var anyRecipient = false;
        foreach (var group in groups)
        {
            if (!ReportFields.IsRecipientGroup(group))
                continue;
            anyRecipient = true;
            var action = group["Action"]?.Trim().ToLowerInvariant() ?? "";
            var statusField = Diagnostics.EnhancedStatus(group["Status"]).ToString();
            // RFC 3464 §2.3.3: only "failed" reports a failure; delayed, delivered, relayed and expanded do not.
            // A missing or non-standard Action ("undeliverable", "bounced") is read from the status class.
            var failed = action.StartsWith("fail", StringComparison.Ordinal)
                || (action is not ("delivered" or "relayed" or "expanded" or "delayed")
                    && !statusField.StartsWith('2') && !statusField.StartsWith('4'));
            if (!failed)
                continue;

            var address = ReportFields.AddressValue(group["Final-Recipient"]);
            if (address.Length == 0 || !address.Contains('@'))
                address = ReportFields.AddressValue(group["Original-Recipient"]);
            if (address.Length == 0 || !address.Contains('@'))
                address = ReportFields.AddressValue(group["X-Actual-Recipient"]);

            var diagnostic = ReportFields.TypedText(group["Diagnostic-Code"]);
            var prose = address.Length > 0 ? context.ProseFor(address) : "";
            var remote = ReportFields.TypedText(group["Remote-MTA"]);
            recipients.Add(context.Build(address, statusField, diagnostic, prose, remote.Length > 0 ? remote : null));
        }

        if (!anyRecipient)
            return null;
        if (recipients.Count == 0)
            return BounceReport.NotBounce;

        // A DSN whose recipient fields are empty still failed: the address comes from the prose or the fallbacks
        // (X-Failed-Recipients, VERP, the returned To), the status and diagnostic from the DSN when it had one recipient.
        if (recipients.TrueForAll(r => r.Recipient.Length == 0))
        {
            var fromText = FromText(context);
            if (recipients.Count == 1 && fromText.Recipients.Count == 1)
                return new BounceReport(BounceKind.Failure, [recipients[0] with { Recipient = fromText.Recipients[0].Recipient }], null);
            return fromText;
        }

        return new BounceReport(BounceKind.Failure, recipients, null);
    }

    private static BounceReport FromText(Context context)
    {
        var found = TextBounce.FindRecipients(context.Section, context.IsExcluded);
        var recipients = new List<FailedRecipient>(found.Count);
        foreach (var r in found)
        {
            // The recipient's own block decides; lines elsewhere that name it (Sendmail's transcript after its
            // list) or, for a lone recipient, the whole text only fill in what the block lacks.
            var block = r.Text.ToString();
            var elsewhere = TextBounce.LinesMentioning(context.Section, r.Address);
            if (!HasEvidence(elsewhere) && found.Count == 1)
                elsewhere = context.Section;
            recipients.Add(context.Build(r.Address, "", block, elsewhere, null));
        }

        if (recipients.Count == 0)
        {
            foreach (var address in context.FallbackRecipients())
                recipients.Add(context.Build(address, "", "", context.Section, null));
        }

        return recipients.Count == 0
            ? new BounceReport(BounceKind.Failure, [], "a bounce, but no failed recipient could be recognised")
            : new BounceReport(BounceKind.Failure, recipients, null);
    }

    private static bool HasEvidence(string text) =>
        Diagnostics.ReplyCode(text) != 0 || !Diagnostics.EnhancedStatus(text).IsEmpty;

    private static bool IsFeedbackReport(MimeMessage message, Parts parts, out string fields)
    {
        fields = "";
        if (message.Body is not MultipartReport report || !"feedback-report".Equals(report.ReportType, StringComparison.OrdinalIgnoreCase))
            return false;
        // RFC 5965 §2 says message/feedback-report; some reporters label it text/plain. Find the fields by name.
        var text = parts.Text.ToString();
        var at = text.IndexOf("Feedback-Type:", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            return false;
        fields = text[at..];
        return true;
    }

    private static BounceReport Feedback(Context context)
    {
        var fields = context.Parts.FeedbackReport;
        if (fields is null)
            IsFeedbackReport(context.Message, context.Parts, out fields);
        var groups = ReportFields.Parse(fields ?? "");
        var group = groups.Count > 0 ? groups[0] : new ReportGroup();
        foreach (var g in groups)
        {
            if (g.Has("Feedback-Type"))
            {
                group = g;
                break;
            }
        }

        // RFC 5965 §3.1: Feedback-Type is required; "abuse", "fraud", "other", "virus", "not-spam" (RFC 6650) and
        // "auth-failure" (RFC 6591) are registered. A report without one is still a complaint: "other".
        var type = group["Feedback-Type"]?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type))
            type = "other";
        var sender = ReportFields.AddressValue(group["Original-Mail-From"]);
        if (sender.Length == 0)
            sender = context.OriginalFrom ?? "";
        var diagnostic = Diagnostics.Collapse(context.Section, MaxDiagnosticChars);

        var recipients = new List<FailedRecipient>();
        foreach (var value in group.All("Original-Rcpt-To"))
            AddComplainant(ReportFields.AddressValue(value));
        foreach (var value in group.All("Removal-Recipient"))
            AddComplainant(ReportFields.AddressValue(value));
        if (recipients.Count == 0)
        {
            foreach (var address in context.OriginalRecipients())
                AddComplainant(address);
        }

        if (recipients.Count == 0)
            AddComplainant("");
        var (messageId, feedbackIds) = ComplaintFacts.FromOriginal(context.Parts.OriginalHeaders);
        var complaint = new ComplaintFacts(type, Field(group, "User-Agent"), ReportFields.TypedText(group["Reporting-MTA"]) is { Length: > 0 } mta ? Clip(mta, 255) : null,
            Field(group, "Reported-Domain"), Field(group, "Source-IP"), sender.Length > 0 ? sender : null,
            recipients[0].Recipient.Length > 0 ? recipients[0].Recipient : null, messageId, feedbackIds, ArfError(group, context.Parts));
        return new BounceReport(BounceKind.Feedback, recipients, null) { Complaint = complaint };

        void AddComplainant(string address)
        {
            if (recipients.Exists(r => r.Recipient.Equals(address, StringComparison.OrdinalIgnoreCase)))
                return;
            recipients.Add(new FailedRecipient(address, "", BounceReason.Feedback, false, diagnostic, null, type, sender.Length > 0 ? sender : null));
        }
    }

    private static string? Field(ReportGroup group, string name) =>
        group[name]?.Trim() is { Length: > 0 } value ? Clip(value, 255) : null;

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];

    /// <summary>
    /// RFC 5965 2 and 3.1: a feedback report has a machine-readable part with Feedback-Type, User-Agent and
    /// Version, and the original message or its headers. Without them it cannot be checked or attributed.
    /// </summary>
    private static string? ArfError(ReportGroup group, Parts parts)
    {
        if (parts.FeedbackReport is null && !group.Has("Feedback-Type"))
            return "not an ARF report: no message/feedback-report part with a Feedback-Type field (RFC 5965 2)";
        if (!group.Has("Feedback-Type"))
            return "malformed ARF report: the feedback-report part has no Feedback-Type field (RFC 5965 3.1)";
        if (!group.Has("User-Agent") || !group.Has("Version"))
            return "malformed ARF report: the feedback-report part lacks its required User-Agent or Version field (RFC 5965 3.1)";
        if (parts.OriginalHeaders is null)
            return "malformed ARF report: no original message (message/rfc822) or headers (text/rfc822-headers) part (RFC 5965 2)";
        return null;
    }

    /// <summary>
    /// Microsoft's Junk Mail Reporting Program predates ARF: the complaint is the returned message itself, the
    /// complainant in X-HmXmrOriginalRecipient (per Microsoft's JMRP documentation). Read as an "abuse" complaint.
    /// </summary>
    private static BounceReport JunkMailReport(Context context, string complainant)
    {
        var address = ReportFields.AddressValue(complainant);
        // The returned message is attached, or is the report itself with Microsoft's fields added.
        var (messageId, feedbackIds) = ComplaintFacts.FromOriginal(context.Parts.OriginalHeaders ?? context.Message.Headers);
        var complaint = new ComplaintFacts("abuse", "Microsoft JMRP", null, null, null, context.OriginalFrom, address.Length > 0 ? address : null, messageId, feedbackIds, null);
        return new BounceReport(BounceKind.Feedback,
            [new FailedRecipient(address, "", BounceReason.Feedback, false, "", null, "abuse", context.OriginalFrom)], null)
        { Complaint = complaint };
    }

    private static bool IsAutoReply(MimeMessage message)
    {
        var headers = message.Headers;
        // RFC 3834 §5.1: auto-replied (not auto-generated, which DSNs themselves use).
        if (headers["Auto-Submitted"] is { } submitted && submitted.Contains("auto-replied", StringComparison.OrdinalIgnoreCase))
            return true;
        if (headers.Contains("X-Autoreply") || headers.Contains("X-Autorespond") || headers.Contains("X-Autoresponder"))
            return true;
        if (headers["Precedence"] is { } precedence && precedence.Contains("auto_reply", StringComparison.OrdinalIgnoreCase))
            return true;
        return message.Subject is { } subject && Signals.AutoReplySubject().IsMatch(subject);
    }
}
