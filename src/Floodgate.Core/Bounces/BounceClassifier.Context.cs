using System.Text;
using MimeKit;

namespace Floodgate.Core.Bounces;

public static partial class BounceClassifier
{
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
