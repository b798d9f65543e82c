using System.Text.RegularExpressions;

namespace Floodgate.Core.Bounces;

/// <summary>One field group of a machine-readable report: a recipient of a delivery status, or the feedback report.</summary>
internal sealed class ReportGroup
{
    public List<KeyValuePair<string, string>> Fields { get; } = [];

    public string? this[string name]
    {
        get
        {
            foreach (var field in Fields)
            {
                if (field.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                    return field.Value;
            }

            return null;
        }
    }

    public bool Has(string name) => this[name] is not null;

    public IEnumerable<string> All(string name)
    {
        foreach (var field in Fields)
        {
            if (field.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                yield return field.Value;
        }
    }
}

/// <summary>
/// The field groups of message/delivery-status (RFC 3464 §2.1: a per-message group, then one group per
/// recipient, separated by blank lines), message/global-delivery-status (RFC 6533 §6: the same fields, UTF-8
/// allowed) and message/feedback-report (RFC 5965 §3.1: one group).
/// </summary>
internal static partial class ReportFields
{
    [GeneratedRegex(@"[^\s<>""'(),;:@\[\]]{1,64}@[^\s<>""'(),;:@\[\]]{1,255}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex AddressPattern();

    /// <summary>
    /// Never throws. Tolerates what real MTAs send: any case in field names, folding with tabs or spaces,
    /// CRLF or bare LF, and missing blank lines between recipients (a second Final-Recipient, or a second
    /// Original-Recipient, starts a new recipient group).
    /// </summary>
    public static List<ReportGroup> Parse(ReadOnlySpan<char> text)
    {
        var groups = new List<ReportGroup>();
        var current = new ReportGroup();
        string? name = null;
        var value = new System.Text.StringBuilder();

        void Flush()
        {
            if (name is not null)
            {
                var v = value.ToString().Trim();
                if (StartsRecipient(current, name))
                {
                    groups.Add(current);
                    current = new ReportGroup();
                }

                current.Fields.Add(new(name, v));
            }

            name = null;
            value.Clear();
        }

        foreach (var range in text.Split('\n'))
        {
            var line = text[range].TrimEnd('\r');
            if (line.IsWhiteSpace())
            {
                Flush();
                if (current.Fields.Count > 0)
                {
                    groups.Add(current);
                    current = new ReportGroup();
                }

                continue;
            }

            if (line[0] is ' ' or '\t')
            {
                if (name is not null)
                    value.Append(' ').Append(line.Trim());
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0 || line[..colon].ContainsAny(' ', '\t'))
            {
                // Not a field: a sloppy continuation without indentation, kept with the field before it.
                if (name is not null)
                    value.Append(' ').Append(line.Trim());
                continue;
            }

            Flush();
            name = line[..colon].ToString();
            value.Append(line[(colon + 1)..].Trim());
        }

        Flush();
        if (current.Fields.Count > 0)
            groups.Add(current);
        return groups;
    }

    private static bool StartsRecipient(ReportGroup current, string name)
    {
        if (name.Equals("Final-Recipient", StringComparison.OrdinalIgnoreCase))
            return current.Has("Final-Recipient");
        // Original-Recipient comes before Final-Recipient in RFC 3464 §2.3 but after it in Postfix's DSNs: it
        // starts a new recipient only when the current one has one already or has got past its addresses.
        if (name.Equals("Original-Recipient", StringComparison.OrdinalIgnoreCase))
            return current.Has("Original-Recipient") || (current.Has("Final-Recipient") && (current.Has("Action") || current.Has("Status")));
        return false;
    }

    public static bool IsRecipientGroup(ReportGroup group) =>
        group.Has("Final-Recipient") || group.Has("Original-Recipient") || group.Has("Action") || group.Has("Status");

    /// <summary>"rfc822; Ann@Example.com" (RFC 3464 §2.3.2 address-type; value) → "Ann@Example.com", brackets dropped.</summary>
    public static string AddressValue(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        var span = value.AsSpan();
        var semicolon = span.IndexOf(';');
        if (semicolon >= 0)
            span = span[(semicolon + 1)..];
        span = span.Trim();
        // "Ann <ann@example.com>" or "ann@example.com (Ann)": the address, not the decoration.
        foreach (var m in AddressPattern().EnumerateMatches(span))
            return span.Slice(m.Index, m.Length).ToString();
        return span.Trim("<>\"'").Trim().ToString();
    }

    /// <summary>"smtp; 550 5.1.1 ..." (RFC 3464 §2.3.6 diagnostic-type; text) → the text.</summary>
    public static string TypedText(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        var semicolon = value.IndexOf(';');
        if (semicolon > 0 && semicolon < 16 && !value.AsSpan(0, semicolon).ContainsAny(' ', '\t'))
            return value[(semicolon + 1)..].Trim();
        return value.Trim();
    }
}
