using System.Buffers;
using System.Text;
using MimeKit;

namespace Floodgate.Core.Bounces;

/// <summary>
/// Reads one message as a bounce: not a bounce (auto-replies, success and delay notices, ordinary mail), a
/// failure report with its failed recipients, or an ARF complaint. Pure: no I/O beyond the bytes given.
/// Work is bounded on huge messages: only the first <see cref="MaxTextBytes"/> of each human-readable part
/// and of each report part is read, and at most <see cref="MaxParts"/> MIME parts are visited.
/// </summary>
public static class BounceClassifier
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
        catch (Exception e) when (e is FormatException or IOException or ArgumentException or InvalidOperationException or NotSupportedException or DecoderFallbackException or System.Text.RegularExpressions.RegexMatchTimeoutException)
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
        return new BounceReport(BounceKind.Feedback, recipients, null);

        void AddComplainant(string address)
        {
            if (recipients.Exists(r => r.Recipient.Equals(address, StringComparison.OrdinalIgnoreCase)))
                return;
            recipients.Add(new FailedRecipient(address, "", BounceReason.Feedback, false, diagnostic, null, type, sender.Length > 0 ? sender : null));
        }
    }

    /// <summary>
    /// Microsoft's Junk Mail Reporting Program predates ARF: the complaint is the returned message itself, the
    /// complainant in X-HmXmrOriginalRecipient (per Microsoft's JMRP documentation). Read as an "abuse" complaint.
    /// </summary>
    private static BounceReport JunkMailReport(Context context, string complainant)
    {
        var address = ReportFields.AddressValue(complainant);
        return new BounceReport(BounceKind.Feedback,
            [new FailedRecipient(address, "", BounceReason.Feedback, false, "", null, "abuse", context.OriginalFrom)], null);
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
        if (headers["X-Auto-Response-Suppress"] is not null && headers["X-MS-Exchange-Message-Is-Ndr"] is null
            && message.Subject is { } s && Signals.AutoReplySubject().IsMatch(s))
            return true;
        return message.Subject is { } subject && Signals.AutoReplySubject().IsMatch(subject);
    }

    /// <summary>The MIME parts that matter, bounded in count, depth and bytes read.</summary>
    internal sealed class Parts
    {
        // A marker, never used to decode: ReadText picks UTF-8 or Latin-1 by the bytes.
        private static readonly Encoding NoCharset = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

        private int _visited;

        public StringBuilder DeliveryStatus { get; } = new();

        public string? FeedbackReport { get; private set; }

        public StringBuilder Text { get; } = new();

        public string? Html { get; private set; }

        public HeaderList? OriginalHeaders { get; private set; }

        public void Walk(MimeEntity? entity, int depth)
        {
            if (entity is null || depth > MaxDepth || ++_visited > MaxParts)
                return;
            switch (entity)
            {
                case Multipart multipart:
                    foreach (var child in multipart)
                        Walk(child, depth + 1);
                    break;
                case MessagePart messagePart:
                    // The returned message (message/rfc822, message/global, text/rfc822-headers): its headers only.
                    // Its body is the sender's own text and must not be read as the bounce's.
                    OriginalHeaders ??= messagePart.Message?.Headers;
                    break;
                case MimePart part:
                    Read(part);
                    break;
            }
        }

        private void Read(MimePart part)
        {
            var type = part.ContentType;
            if (type.IsMimeType("message", "delivery-status") || type.IsMimeType("message", "global-delivery-status"))
            {
                // RFC 6533 §6: the global form is UTF-8; the classic form is ASCII, which UTF-8 reads the same.
                DeliveryStatus.Append(ReadText(part, Encoding.UTF8)).Append("\n\n");
            }
            else if (type.IsMimeType("message", "feedback-report"))
            {
                FeedbackReport ??= ReadText(part, Encoding.UTF8);
            }
            else if (type.IsMimeType("text", "rfc822-headers") || type.IsMimeType("message", "global-headers"))
            {
                OriginalHeaders ??= LoadHeaders(ReadText(part, Encoding.UTF8));
            }
            else if (type.IsMimeType("text", "html"))
            {
                Html ??= ReadText(part, Charset(part));
            }
            else if (type.IsMimeType("text", "*") && Text.Length < MaxTextBytes)
            {
                var text = ReadText(part, Charset(part));
                // A later text part that starts with header fields is the returned message sent as plain text
                // (qmail and Yahoo do this): its addresses are the sender's, not failed recipients.
                if (Text.Length > 0 && LooksLikeMessage(text))
                    OriginalHeaders ??= LoadHeaders(text);
                else
                    Text.Append(text).Append('\n');
            }
        }

        private static HeaderList? LoadHeaders(string text)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text + "\n\n"));
            try
            {
                return HeaderList.Load(ParserOptions.Default, stream);
            }
            catch (FormatException)
            {
                // Unreadable returned headers: only the fallback recipient guess is lost.
                return null;
            }
        }

        private static bool LooksLikeMessage(string text)
        {
            var start = text.AsSpan().TrimStart();
            foreach (var name in (ReadOnlySpan<string>)["Received:", "Return-Path:", "From:", "Message-ID:", "Date:", "MIME-Version:", "DKIM-Signature:"])
            {
                if (start.StartsWith(name, StringComparison.OrdinalIgnoreCase))
                    return true;
            }

            return false;
        }

        private static Encoding Charset(MimePart part)
        {
            try
            {
                // No charset: UTF-8 when the bytes are UTF-8 (most 8-bit bounces today), Latin-1 otherwise (ReadText).
                return part.ContentType.Charset is null ? NoCharset : part.ContentType.CharsetEncoding ?? Encoding.Latin1;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                return Encoding.Latin1;
            }
        }

        private static string ReadText(MimePart part, Encoding encoding)
        {
            if (part.Content is null)
                return "";
            var buffer = ArrayPool<byte>.Shared.Rent(MaxTextBytes);
            try
            {
                using var stream = part.Content.Open();
                var read = 0;
                int n;
                while (read < MaxTextBytes && (n = stream.Read(buffer, read, MaxTextBytes - read)) > 0)
                    read += n;
                if (ReferenceEquals(encoding, NoCharset))
                    encoding = System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, read)) ? Encoding.UTF8 : Encoding.Latin1;
                return encoding.GetString(buffer, 0, read);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>One message's view for classification: its bounce text, who sent the original, who not to take for a recipient.</summary>
    private sealed class Context
    {
        private readonly HashSet<string> _excluded = new(StringComparer.OrdinalIgnoreCase);
        private readonly string _tail;
        private List<TextRecipient>? _prose;

        public Context(MimeMessage message, Parts parts)
        {
            Message = message;
            Parts = parts;
            var text = parts.Text.Length > 0 ? parts.Text.ToString() : HtmlToText(parts.Html ?? "");
            text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
            var cut = Signals.OriginalMessageStart().Match(text);
            // A marker on the first line is the bounce's heading, not the returned message.
            if (cut.Success && cut.Index == 0)
                cut = cut.NextMatch();
            if (cut.Success)
            {
                Section = text[..cut.Index];
                _tail = text[cut.Index..];
            }
            else
            {
                Section = text;
                _tail = "";
            }

            foreach (var mailbox in message.From.Mailboxes)
                _excluded.Add(mailbox.Address);
            foreach (var mailbox in message.To.Mailboxes)
                _excluded.Add(mailbox.Address); // the bounce goes back to the original sender
            if (parts.OriginalHeaders is { } original)
            {
                OriginalFrom = FirstAddress(original["From"]);
                if (OriginalFrom is not null)
                    _excluded.Add(OriginalFrom);
                if (FirstAddress(original["Return-Path"]) is { } returnPath)
                    _excluded.Add(returnPath);
                if (FirstAddress(original["Sender"]) is { } sender)
                    _excluded.Add(sender);
            }
        }

        public MimeMessage Message { get; }

        public Parts Parts { get; }

        /// <summary>The bounce's own prose, up to where the returned message begins.</summary>
        public string Section { get; }

        public string? OriginalFrom { get; }

        public bool IsExcluded(string address)
        {
            if (_excluded.Contains(address))
                return true;
            var at = address.IndexOf('@');
            return at <= 0 || Signals.DaemonLocalPart().IsMatch(address.AsSpan(0, at));
        }

        public bool LooksLikeBounce()
        {
            var headers = Message.Headers;
            if (headers.Contains("X-Failed-Recipients") || headers["X-MS-Exchange-Message-Is-Ndr"] is not null)
                return true;
            if (Message.Body is MultipartReport)
                return true;
            var fromDaemon = false;
            foreach (var mailbox in Message.From.Mailboxes)
            {
                var at = mailbox.Address.IndexOf('@');
                fromDaemon |= (at > 0 && Signals.DaemonLocalPart().IsMatch(mailbox.Address.AsSpan(0, at)))
                    || (mailbox.Name is { } name && Signals.DaemonDisplayName().IsMatch(name));
            }

            var subject = Message.Subject ?? "";
            var bounceSubject = Signals.BounceSubject().IsMatch(subject);
            var bounceBody = Signals.BounceBody().IsMatch(Section);
            // Any two of the three, or a daemon that sends a returned message: one signal alone is too weak
            // (a person may write "undeliverable" in a subject; a daemon sends confirmations too).
            var signals = (fromDaemon ? 1 : 0) + (bounceSubject ? 1 : 0) + (bounceBody ? 1 : 0);
            return signals >= 2 || (signals == 1 && bounceBody && Parts.OriginalHeaders is not null)
                || (fromDaemon && Message.Headers["Return-Path"] is { } rp && rp.Trim() == "<>");
        }

        /// <summary>The prose written about this recipient, for a DSN whose Diagnostic-Code is empty or vague.</summary>
        public string ProseFor(string address)
        {
            _prose ??= TextBounce.FindRecipients(Section, IsExcluded);
            foreach (var r in _prose)
            {
                if (r.Address.Equals(address, StringComparison.OrdinalIgnoreCase))
                    return r.Text.ToString();
            }

            return _prose.Count == 0 ? Section : "";
        }

        public FailedRecipient Build(string address, string status, string diagnostic, string prose, string? remote)
        {
            // The diagnostic code is the remote's own words and decides; the prose helps when it is empty or says
            // nothing decisive (a bare "550 5.0.0"). Both are capped so a huge bounce costs no more than a small one.
            var text = diagnostic.Length > 0 ? diagnostic : prose;
            if (text.Length > 4000)
                text = text[..4000];
            var textStatus = Diagnostics.EnhancedStatus(text).ToString();
            if (textStatus.Length == 0 && prose.Length > 0 && !ReferenceEquals(text, prose))
                textStatus = Diagnostics.EnhancedStatus(prose.Length > 4000 ? prose[..4000] : prose).ToString();
            // A generic X.0.0 in Status says less than a specific code in the diagnostic.
            if (status.Length == 0 || (status.EndsWith(".0.0", StringComparison.Ordinal) && textStatus.Length > 0 && !textStatus.EndsWith(".0.0", StringComparison.Ordinal)))
                status = textStatus.Length > 0 ? textStatus : status;
            var reply = Diagnostics.ReplyCode(text);
            if (reply == 0 && prose.Length > 0 && !ReferenceEquals(text, prose))
                reply = Diagnostics.ReplyCode(prose.Length > 4000 ? prose[..4000] : prose);

            var reason = ReasonTable.Classify(text, status, reply);
            if (reason is BounceReason.Undefined or BounceReason.OnHold && diagnostic.Length > 0 && prose.Length > 0)
            {
                var fromProse = ReasonTable.Classify(prose.Length > 4000 ? prose[..4000] : prose, status, reply);
                if (fromProse is not BounceReason.Undefined and not BounceReason.OnHold)
                    reason = fromProse;
            }

            if (status.Length == 0 || status[0] == '2')
                status = ReasonTable.InferStatus(reason, reply, temporary: false);
            remote ??= Diagnostics.RemoteHost(text);
            var shown = Diagnostics.Collapse(text.Length > 0 ? text : prose, MaxDiagnosticChars).TrimStart(':', ';', ',', ' ', '-');
            return new FailedRecipient(address, status, reason, BounceReasons.IsHard(reason, status), shown, remote, null, null);
        }

        /// <summary>When the prose names no recipient: X-Failed-Recipients (Exim), a VERP return address, the addresses in the prose, the returned message's To.</summary>
        public IEnumerable<string> FallbackRecipients()
        {
            if (Message.Headers["X-Failed-Recipients"] is { } failed)
            {
                var any = false;
                foreach (var part in failed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var address = part.Trim('<', '>', ' ');
                    if (address.Contains('@'))
                    {
                        any = true;
                        yield return address;
                    }
                }

                if (any)
                    yield break;
            }

            foreach (var mailbox in Message.To.Mailboxes)
            {
                // VERP (as issue 14's posting sends): list-bounces+ann=example.com@lists.example names the member.
                var local = mailbox.LocalPart ?? "";
                var plus = local.LastIndexOf('+');
                var eq = local.LastIndexOf('=');
                if (plus >= 0 && eq > plus + 1 && eq < local.Length - 1)
                {
                    yield return string.Concat(local.AsSpan(plus + 1, eq - plus - 1), "@", local.AsSpan(eq + 1));
                    yield break;
                }
            }

            var inProse = TextBounce.AllAddresses(Section, IsExcluded, 10);
            if (inProse.Count > 0)
            {
                foreach (var address in inProse)
                    yield return address;
                yield break;
            }

            foreach (var address in OriginalRecipients())
                yield return address;
        }

        public IEnumerable<string> OriginalRecipients()
        {
            var seen = new List<string>();
            if (Parts.OriginalHeaders is { } original)
            {
                foreach (var name in (ReadOnlySpan<string>)["To", "Cc"])
                {
                    if (original[name] is { } value)
                        AddAll(value, seen);
                }
            }
            else
            {
                foreach (System.Text.RegularExpressions.Match m in Signals.OriginalToHeader().Matches(_tail.Length > MaxTextBytes ? _tail[..MaxTextBytes] : _tail))
                    AddAll(m.Groups["value"].Value, seen);
            }

            return seen;
        }

        private void AddAll(string value, List<string> seen)
        {
            if (!InternetAddressList.TryParse(value, out var list))
                return;
            foreach (var mailbox in list.Mailboxes)
            {
                if (!IsExcluded(mailbox.Address) && !seen.Contains(mailbox.Address, StringComparer.OrdinalIgnoreCase))
                    seen.Add(mailbox.Address);
            }
        }

        private static string? FirstAddress(string? value)
        {
            if (value is null || !InternetAddressList.TryParse(value, out var list))
                return null;
            foreach (var mailbox in list.Mailboxes)
                return mailbox.Address;
            return null;
        }

        private static string HtmlToText(string html)
        {
            if (html.Length == 0)
                return "";
            var text = new StringBuilder(html.Length);
            var inTag = false;
            for (var i = 0; i < html.Length; i++)
            {
                var c = html[i];
                if (c == '<')
                {
                    inTag = true;
                    // Block elements end lines, so the line-shaped recognisers still see lines.
                    var rest = html.AsSpan(i + 1);
                    if (rest.StartsWith("br", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("p", StringComparison.OrdinalIgnoreCase)
                        || rest.StartsWith("/p", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("div", StringComparison.OrdinalIgnoreCase)
                        || rest.StartsWith("/div", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("tr", StringComparison.OrdinalIgnoreCase)
                        || rest.StartsWith("li", StringComparison.OrdinalIgnoreCase))
                        text.Append('\n');
                }
                else if (c == '>')
                {
                    inTag = false;
                }
                else if (!inTag)
                {
                    text.Append(c);
                }
            }

            return System.Net.WebUtility.HtmlDecode(text.ToString());
        }
    }
}
