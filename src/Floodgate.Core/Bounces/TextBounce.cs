using System.Text.RegularExpressions;

namespace Floodgate.Core.Bounces;

/// <summary>One failed recipient found in a bounce's prose, with the text that explains it.</summary>
internal sealed class TextRecipient(string address)
{
    public string Address { get; } = address;

    public System.Text.StringBuilder Text { get; } = new();
}

/// <summary>
/// Finds failed recipients and their diagnostics in a bounce's human-readable text, for the MTAs that send
/// no RFC 3464 part. Not one recogniser per MTA: the layouts they document share a few shapes, and these
/// are what is looked for, so an unseen MTA using one of them is read too:
/// <list type="bullet">
/// <item>an address alone on its line, maybe in angle brackets, maybe followed by ":" and the error — Exim
/// ("  ann@example.com" then the indented SMTP error), qmail ("&lt;ann@example.com&gt;:" then "Remote host
/// said:"), Postfix bounce(5) ("&lt;ann@example.com&gt;: host mx[…] said: 550 …"), Sendmail's list of
/// "permanent fatal errors", Yahoo, Courier, Domino, GroupWise, Exchange's "ann@example.com (ann@example.com)";</item>
/// <item>Sendmail's "550 5.1.1 &lt;ann@example.com&gt;... User unknown" and session transcripts ("RCPT To:&lt;…&gt;");</item>
/// <item>a sentence naming the address: "Your message to ann@example.com couldn't be delivered" (Office 365),
/// "wasn't delivered to ann@example.com" (Gmail), "Delivery to ann@example.com failed".</item>
/// </list>
/// The text between one recipient and the next is that recipient's diagnostic.
/// </summary>
internal static partial class TextBounce
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
    private const int Timeout = 1000;
    private const int MaxBlockChars = 2000;
    private const int MaxRecipients = 500;

    // RFC 5322 addr-spec, dot-atom forms only (quoted local parts and address literals are vanishingly rare in bounces).
    private const string Address = @"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-][A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+";

    [GeneratedRegex(@"^[ \t]*(?:[-*>•]+[ \t]*)?(?:(?:<<<|>>>)[ \t]*)?(?:(?:final-recipient|original-recipient|x-actual-recipient|(?:failed |invalid |unknown |undeliverable |bad )?(?:recipient|address|addressee|user|mailbox)(?:\(s\))?(?: address)?|rcpt to|recipient name|to address|for)[ \t]*[:=][ \t]*(?:rfc822;[ \t]*)?)?[""'\[]?<?(?:mailto:|smtp:)?(?<addr>" + Address + @")>?[""'\]]?(?<rest>[ \t]*(?:$|[:;,(\[<]|\.\.\.|on |-{1,2} |— |was |is |has |failed|could|could not|\bwith\b|\bvia\b|\bat\b).*)$", Options | RegexOptions.Multiline, Timeout)]
    private static partial Regex RecipientLine();

    [GeneratedRegex(@"^[ \t]*(?:<<<[ \t]*)?(?:[245]\d\d[ -])?(?:[245]\.\d{1,3}\.\d{1,3}[ \t]+)?<(?<addr>" + Address + @")>\.\.\.[ \t]*(?<rest>.+)$", Options | RegexOptions.Multiline, Timeout)]
    private static partial Regex SendmailLine();

    [GeneratedRegex(@"(?:(?:wasn't|was not|couldn't|could not|cannot|can't|not|failed to|unable to|undeliverable|impossible to)[ \t]+(?:be[ \t]+)?(?:delivered|deliver|sent|send|reach|reached|relay|relayed|forwarded)[ \t]+(?:(?:it|your message|the message|mail|this message|successfully)[ \t]+)?(?:to|for)[ \t]*:?[ \t]*|(?:message|mail|e-?mail)[ \t]+(?:to|for)[ \t]+|delivery[ \t]+(?:to|of[ \t]+(?:mail|your message|the message)[ \t]+to)[ \t]+(?:the[ \t]+following[ \t]+recipients?:?[ \t]+)?|(?:recipient|address)[ \t]+<)[""']?<?(?<addr>" + Address + @")>?", Options, Timeout)]
    private static partial Regex RecipientPhrase();

    [GeneratedRegex(Address, Options, Timeout)]
    private static partial Regex AnyAddress();

    [GeneratedRegex(@"^(from|sender|reply-to|return-path|message-id|in-reply-to|references|x-[\w-]+|by|received|subject|date)[ \t]*:", Options, Timeout)]
    private static partial Regex HeaderLikeLine();

    private readonly record struct Hit(int Offset, int LineEnd, string Address, int RestStart);

    /// <summary>Recipients in order of first appearance, each with its diagnostic text. Excluded addresses (the sender, daemons) are skipped.</summary>
    public static List<TextRecipient> FindRecipients(string section, Func<string, bool> excluded)
    {
        var hits = new List<Hit>();
        foreach (Match m in RecipientLine().Matches(section))
        {
            var lineStart = m.Index;
            if (HeaderLikeLine().IsMatch(section.AsSpan(lineStart, m.Length).TrimStart()))
                continue;
            var addr = m.Groups["addr"].Value;
            if (excluded(addr))
                continue;
            var rest = m.Groups["rest"];
            hits.Add(new(lineStart, m.Index + m.Length, addr, rest.Index));
        }

        foreach (Match m in SendmailLine().Matches(section))
        {
            var addr = m.Groups["addr"].Value;
            if (!excluded(addr))
                hits.Add(new(m.Index, m.Index + m.Length, addr, m.Index));
        }

        foreach (Match m in RecipientPhrase().Matches(section))
        {
            var addr = m.Groups["addr"].Value;
            if (excluded(addr))
                continue;
            var lineStart = section.LastIndexOf('\n', Math.Max(0, m.Index - 1)) + 1;
            hits.Add(new(lineStart, m.Index + m.Length, addr, lineStart));
        }

        hits.Sort(static (a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.RestStart.CompareTo(b.RestStart));
        var found = new List<TextRecipient>();
        var byAddress = new Dictionary<string, TextRecipient>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < hits.Count && found.Count < MaxRecipients; i++)
        {
            var hit = hits[i];
            if (i > 0 && hits[i - 1].Offset == hit.Offset && hits[i - 1].Address.Equals(hit.Address, StringComparison.OrdinalIgnoreCase))
                continue;
            var end = section.Length;
            for (var j = i + 1; j < hits.Count; j++)
            {
                if (hits[j].Offset > hit.Offset)
                {
                    end = hits[j].Offset;
                    break;
                }
            }

            if (!byAddress.TryGetValue(hit.Address, out var recipient))
            {
                recipient = new TextRecipient(hit.Address);
                byAddress.Add(hit.Address, recipient);
                found.Add(recipient);
            }

            var start = Math.Min(hit.RestStart, end);
            var length = Math.Min(end - start, MaxBlockChars - Math.Min(MaxBlockChars, recipient.Text.Length));
            if (length > 0)
                recipient.Text.Append(section, start, length).Append('\n');
        }

        return found;
    }

    /// <summary>Lines anywhere in the section that name the address and carry an SMTP reply (Sendmail's transcript after its list).</summary>
    public static string LinesMentioning(string section, string address)
    {
        var text = new System.Text.StringBuilder();
        var at = 0;
        while (text.Length < MaxBlockChars && (at = section.IndexOf(address, at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            var start = section.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
            var end = section.IndexOf('\n', at);
            if (end < 0)
                end = section.Length;
            var line = section.AsSpan(start, end - start);
            if (Diagnostics.ReplyCode(line) != 0 || !Diagnostics.EnhancedStatus(line).IsEmpty)
                text.Append(line).Append('\n');
            at = end;
        }

        return text.ToString();
    }

    /// <summary>Every distinct address in the text that is not excluded, for the last-resort guess.</summary>
    public static List<string> AllAddresses(string text, Func<string, bool> excluded, int max)
    {
        var list = new List<string>();
        foreach (Match m in AnyAddress().Matches(text))
        {
            var addr = m.Value;
            if (excluded(addr) || list.Exists(a => a.Equals(addr, StringComparison.OrdinalIgnoreCase)))
                continue;
            // A Message-ID looks like an address; it is never alone after "Message-ID:" or inside <...@...> with '$' or '.' runs of hex.
            var before = text.AsSpan(Math.Max(0, m.Index - 14), Math.Min(14, m.Index));
            if (before.Contains("message-id", StringComparison.OrdinalIgnoreCase) || before.Contains("msgid", StringComparison.OrdinalIgnoreCase))
                continue;
            list.Add(addr);
            if (list.Count >= max)
                break;
        }

        return list;
    }
}
