using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Floodgate.Storage.Notifications;

/// <summary>The e-mail of one event type as it will be sent: the provider's wording, or the embedded default.</summary>
public sealed record EmailTemplate(string EventType, string Subject, string Body, bool IsDefault, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>
/// The e-mails to the primary contact: one plain-text template per event type, embedded here and
/// editable by the provider. A template is text with <c>{{name}}</c> placeholders from
/// <see cref="Placeholders"/> and sections <c>{{#name}}…{{/name}}</c> kept only when the value is not
/// empty (sections of different names may nest). A section tag alone on its line leaves no blank line.
/// Values go into plain text as they are: there is no HTML part to escape them into.
/// </summary>
public static partial class EmailTemplates
{
    public const string TimeFormat = "yyyy-MM-dd HH:mm:ss 'UTC'";

    /// <summary>Every name a template may use; those that do not apply to an event render empty.</summary>
    public static readonly IReadOnlyList<string> Placeholders =
    [
        "event.id", "event.type", "event.occurredAt",
        "client.name", "client.contact.name", "client.contact.phone", "client.contact.email",
        "target.kind", "target.name", "target.status", "targets",
        "source", "actor", "reason",
        "offense.id", "offense.at", "offense.step", "offense.score", "offense.mailbox", "offense.signals",
        "messages.count", "messages.recipients", "messages.external", "messages.relayed", "messages.relayedRecipients",
        "messages.first", "messages.last", "messages.lines", "messages.subjects", "messages.domains",
        "incident.id", "incident.state", "incident.note",
        "report.mechanism", "report.stepsTaken", "report.clientPolicy", "report.required",
        "contactTask.dueAt",
        "held.at", "held.recipients", "held.messageId",
        "blocklist.subject", "blocklist.zone", "blocklist.code", "blocklist.reason", "blocklist.delistingUrl", "blocklist.listedSince",
        "portal.url", "support",
    ];

    private static readonly HashSet<string> Known = new(Placeholders, StringComparer.Ordinal);

    private const string Suspended = """
        Dear {{client.contact.name}},

        On {{event.occurredAt}} we suspended the {{target.kind}} {{target.name}} of {{client.name}}. It cannot send mail until the suspension is lifted.
        {{#offense.step}}
        Escalation: {{offense.step}}.
        {{/offense.step}}

        Why: {{reason}}
        {{#offense.signals}}
        What our systems saw:
        {{offense.signals}}
        {{/offense.signals}}
        {{#messages.count}}

        What was sent: {{messages.count}} messages to {{messages.recipients}} recipients ({{messages.external}} outside your organisation) between {{messages.first}} and {{messages.last}}. {{messages.relayed}} of them, to {{messages.relayedRecipients}} recipients, left our network before the suspension.
        {{messages.lines}}
        {{#messages.subjects}}
        Subjects:
        {{messages.subjects}}
        {{/messages.subjects}}
        {{#messages.domains}}
        Sent to the domains: {{messages.domains}}
        {{/messages.domains}}
        {{/messages.count}}
        {{#report.required}}

        What you must do: sign in to the client portal and file the report of incident {{incident.id}}. It must state
        {{report.required}}
        Our abuse desk reviews it; the suspension is lifted once the report is accepted. Expect to set a new password: mail like this is most often sent with a stolen one.
        {{/report.required}}
        {{#contactTask.dueAt}}

        Our support will call {{client.contact.name}} at {{client.contact.phone}} shortly.
        {{/contactTask.dueAt}}

        Client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Terminated = """
        Dear {{client.contact.name}},

        On {{event.occurredAt}} {{client.name}} was terminated from our network after its third offense: none of its mailboxes can send mail.

        Why: {{reason}}
        {{#offense.signals}}
        What our systems saw:
        {{offense.signals}}
        {{/offense.signals}}
        {{#messages.count}}

        What was sent: {{messages.count}} messages to {{messages.recipients}} recipients ({{messages.external}} outside your organisation) between {{messages.first}} and {{messages.last}}. {{messages.relayed}} of them, to {{messages.relayedRecipients}} recipients, left our network.
        {{messages.lines}}
        {{#messages.subjects}}
        Subjects:
        {{messages.subjects}}
        {{/messages.subjects}}
        {{#messages.domains}}
        Sent to the domains: {{messages.domains}}
        {{/messages.domains}}
        {{/messages.count}}

        Incident {{incident.id}} is in the client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Lifted = """
        Dear {{client.contact.name}},

        On {{event.occurredAt}} our staff lifted the suspension of the {{target.kind}} {{target.name}} of {{client.name}}: it may send mail again.

        Why: {{reason}}

        Client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Reported = """
        Dear {{client.contact.name}},

        We received the report of {{client.name}} for incident {{incident.id}} ({{offense.mailbox}}). Our abuse desk will review it and tell you the outcome.

        Mechanism: {{report.mechanism}}
        Steps taken: {{report.stepsTaken}}
        Your mass-mailing policy: {{report.clientPolicy}}

        Client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Returned = """
        Dear {{client.contact.name}},

        Our abuse desk returned the report of incident {{incident.id}} ({{offense.mailbox}}): it needs more before the suspension can be lifted.

        What is missing: {{incident.note}}

        The report must state
        {{report.required}}

        Please complete it in the client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Accepted = """
        Dear {{client.contact.name}},

        Our abuse desk accepted the report of incident {{incident.id}} ({{offense.mailbox}}). The suspension will be lifted shortly; you will receive another message when it is.
        {{#incident.note}}

        Note: {{incident.note}}
        {{/incident.note}}

        Client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Reinstated = """
        Dear {{client.contact.name}},

        On {{event.occurredAt}} the suspension of incident {{incident.id}} was lifted: the {{target.kind}} {{target.name}} of {{client.name}} may send mail again. If a new password was set at reinstatement, only that password works now.

        Client portal: {{portal.url}}
        Questions: {{support}}
        """;

    private const string Closed = """
        Dear {{client.contact.name}},

        Incident {{incident.id}} ({{offense.mailbox}}) of {{client.name}} was closed on {{event.occurredAt}} without reinstatement: the suspension stays in place.
        {{#incident.note}}

        Why: {{incident.note}}
        {{/incident.note}}

        Client portal: {{portal.url}}
        Questions: {{support}}
        """;

    // To the provider's own abuse desk, not to a client: what is listed, what the zone says, where to ask for removal.
    private const string BlocklistListed = """
        To the abuse desk,

        On {{event.occurredAt}} {{blocklist.subject}} was found listed on {{blocklist.zone}}{{#blocklist.code}} (answer {{blocklist.code}}){{/blocklist.code}}. Receivers that use this zone may refuse or junk mail sent from it.
        {{#blocklist.reason}}

        The zone says: {{blocklist.reason}}
        {{/blocklist.reason}}
        {{#blocklist.delistingUrl}}

        Look the listing up and request its removal: {{blocklist.delistingUrl}}
        {{/blocklist.delistingUrl}}

        Find and stop what sent the mail behind it first (the console's complaints, held messages and offenses): a zone relists a source that goes on sending, for longer.
        """;

    private const string BlocklistDelisted = """
        To the abuse desk,

        On {{event.occurredAt}} {{blocklist.subject}} was found no longer listed on {{blocklist.zone}}{{#blocklist.listedSince}} (listed since {{blocklist.listedSince}}){{/blocklist.listedSince}}.
        {{#blocklist.code}}
        It had been listed with answer {{blocklist.code}}.
        {{/blocklist.code}}
        """;

    /// <summary>The embedded templates, one for each type that <see cref="NotificationTypes"/> e-mails.</summary>
    public static readonly IReadOnlyDictionary<string, (string Subject, string Body)> Defaults = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        [NotificationTypes.MailboxSuspended] = ("Suspended: the mailbox {{target.name}} can no longer send mail", Suspended),
        [NotificationTypes.DomainSuspended] = ("Suspended: the domain {{target.name}} can no longer send mail", Suspended),
        [NotificationTypes.ClientSuspended] = ("Suspended: {{client.name}} can no longer send mail", Suspended),
        [NotificationTypes.ClientTerminated] = ("Terminated: {{client.name}} can no longer send mail", Terminated),
        [NotificationTypes.MailboxLifted] = ("The mailbox {{target.name}} may send mail again", Lifted),
        [NotificationTypes.DomainLifted] = ("The domain {{target.name}} may send mail again", Lifted),
        [NotificationTypes.ClientLifted] = ("{{client.name}} may send mail again", Lifted),
        [NotificationTypes.IncidentReported] = ("Report received for incident {{incident.id}}", Reported),
        [NotificationTypes.IncidentReturned] = ("More is needed: the report of incident {{incident.id}}", Returned),
        [NotificationTypes.IncidentAccepted] = ("Report accepted: incident {{incident.id}}", Accepted),
        [NotificationTypes.IncidentReinstated] = ("Reinstated: {{target.name}} may send mail again", Reinstated),
        [NotificationTypes.IncidentClosed] = ("Incident {{incident.id}} closed", Closed),
        [NotificationTypes.BlocklistListed] = ("Listed: {{blocklist.subject}} on {{blocklist.zone}}", BlocklistListed),
        [NotificationTypes.BlocklistDelisted] = ("Delisted: {{blocklist.subject}} on {{blocklist.zone}}", BlocklistDelisted),
    };

    /// <summary>What is wrong with a template, one line per problem; empty when it can be saved.</summary>
    public static List<string> Validate(string? subject, string? body)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(subject))
            errors.Add("subject: required");
        else if (subject.Length > NotificationColumns.TemplateSubject)
            errors.Add($"subject: at most {NotificationColumns.TemplateSubject} characters");
        else if (subject.AsSpan().IndexOfAny('\r', '\n') >= 0)
            errors.Add("subject: must be one line");
        if (string.IsNullOrWhiteSpace(body))
            errors.Add("body: required");
        else if (body.Length > NotificationColumns.TemplateBody)
            errors.Add($"body: at most {NotificationColumns.TemplateBody} characters");
        if (subject is not null)
            CheckTags("subject", subject, errors);
        if (body is not null)
            CheckTags("body", body, errors);
        return errors;
    }

    /// <summary>The template with the model's values; a known name without a value renders empty.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> model)
    {
        var sectioned = Section().Replace(template, m =>
            model.TryGetValue(m.Groups["name"].Value, out var v) && v.Length > 0 ? Render(m.Groups["inner"].Value, model) : string.Empty);
        return Value().Replace(sectioned, m =>
        {
            var name = m.Groups["name"].Value;
            return model.TryGetValue(name, out var v) ? v : Known.Contains(name) ? string.Empty : m.Value;
        });
    }

    /// <summary>The values of <see cref="Placeholders"/> for one event.</summary>
    public static Dictionary<string, string> Model(Guid eventId, string type, DateTimeOffset occurredAt, NotificationData data)
    {
        var m = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["event.id"] = eventId.ToString(),
            ["event.type"] = type,
            ["event.occurredAt"] = Time(occurredAt),
        };
        if (data.Client is { } c)
        {
            m["client.name"] = c.Name;
            m["client.contact.name"] = c.Contact.Name;
            m["client.contact.phone"] = c.Contact.Phone;
            m["client.contact.email"] = c.Contact.Email;
        }

        if (data.Targets is { Count: > 0 } targets)
        {
            m["target.kind"] = targets[0].Kind;
            m["target.name"] = targets[0].Name;
            m["target.status"] = targets[0].Status;
            m["targets"] = Lines(targets.Select(t => $"{t.Kind} {t.Name} ({t.Status})"));
        }

        Set(m, "source", data.Source);
        Set(m, "actor", data.Actor);
        Set(m, "reason", data.Reason);
        if (data.Offense is { } o)
        {
            m["offense.id"] = Number(o.Id);
            m["offense.at"] = Time(o.At);
            m["offense.step"] = o.StepText;
            m["offense.score"] = o.Score.ToString("0.##", CultureInfo.InvariantCulture);
            m["offense.mailbox"] = o.Mailbox;
            m["offense.signals"] = Lines(o.Signals.Select(s => s.Explanation));
        }

        if (data.Messages is { } msg)
        {
            m["messages.count"] = Number(msg.Count);
            m["messages.recipients"] = Number(msg.Recipients);
            m["messages.external"] = Number(msg.ExternalRecipients);
            m["messages.relayed"] = Number(msg.Relayed);
            m["messages.relayedRecipients"] = Number(msg.RelayedRecipients);
            if (msg.First is { } first)
                m["messages.first"] = Time(first);
            if (msg.Last is { } last)
                m["messages.last"] = Time(last);
            m["messages.lines"] = Lines(msg.Sample.Select(Line));
            if (msg.Subjects is { Count: > 0 } subjects)
                m["messages.subjects"] = Lines(subjects.Select(Quote));
            if (msg.DestinationDomains is { Count: > 0 } domains)
                m["messages.domains"] = string.Join(", ", domains);
        }

        if (data.Incident is { } i)
        {
            m["incident.id"] = Number(i.Id);
            m["incident.state"] = i.StateText;
            Set(m, "incident.note", i.Note);
            if (i.Report is { } r)
            {
                m["report.mechanism"] = r.Mechanism;
                m["report.stepsTaken"] = r.StepsTaken;
                m["report.clientPolicy"] = r.ClientPolicy;
            }
        }

        if (data.RequiredReport is { Count: > 0 } required)
            m["report.required"] = Lines(required);
        if (data.ContactTask is { } task)
            m["contactTask.dueAt"] = Time(task.DueAt);
        if (data.Held is { } h)
        {
            m["held.at"] = Time(h.At);
            m["held.recipients"] = Number(h.Recipients);
            Set(m, "held.messageId", h.MessageId);
        }

        if (data.Blocklist is { } b)
        {
            m["blocklist.subject"] = b.Subject;
            m["blocklist.zone"] = b.Zone;
            Set(m, "blocklist.code", b.Code);
            Set(m, "blocklist.reason", OneLine(b.Reason));
            Set(m, "blocklist.delistingUrl", b.DelistingUrl);
            if (b.ListedSince is { } since)
                m["blocklist.listedSince"] = Time(since);
        }

        Set(m, "portal.url", data.PortalUrl);
        Set(m, "support", data.Support);
        return m;
    }

    private static string Line(MessageInfo s)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{Time(s.At)}  {s.Recipients} recipients ({s.External} external)  {s.Outcome}  {s.MessageId ?? "(no Message-ID)"}");
        if (!string.IsNullOrEmpty(s.Subject))
            line += "  " + Quote(s.Subject);
        if (!string.IsNullOrEmpty(s.DestinationDomains))
            line += "  to " + string.Join(", ", s.DestinationDomains.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line;
    }

    // A subject is the sender's text: on one line, so it cannot start a line of its own in the e-mail.
    private static string Quote(string subject) =>
        "\"" + string.Join(' ', subject.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)) + "\"";

    // A TXT reason is the zone's text: on one line, like a subject.
    private static string? OneLine(string? text) =>
        text is null ? null : string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Lines(IEnumerable<string> lines)
    {
        var b = new StringBuilder();
        foreach (var line in lines)
        {
            if (b.Length > 0)
                b.Append('\n');
            b.Append("  - ").Append(line);
        }

        return b.ToString();
    }

    private static void Set(Dictionary<string, string> m, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            m[name] = value;
    }

    private static void CheckTags(string field, string text, List<string> errors)
    {
        var open = new Stack<string>();
        foreach (Match tag in Tag().Matches(text))
        {
            var kind = tag.Groups["kind"].Value;
            var name = tag.Groups["name"].Value;
            if (!Known.Contains(name))
            {
                errors.Add($"{field}: unknown placeholder {{{{{name}}}}}; the known ones are {string.Join(", ", Placeholders)}");
                continue;
            }

            if (kind == "#")
            {
                open.Push(name);
            }
            else if (kind == "/")
            {
                if (open.Count == 0 || open.Peek() != name)
                    errors.Add($"{field}: {{{{/{name}}}}} closes no open section {{{{#{name}}}}}");
                else
                    open.Pop();
            }
        }

        foreach (var name in open)
            errors.Add($"{field}: the section {{{{#{name}}}}} is not closed with {{{{/{name}}}}}");

        var stray = Tag().Replace(text, string.Empty);
        if (stray.Contains("{{", StringComparison.Ordinal) || stray.Contains("}}", StringComparison.Ordinal))
            errors.Add($"{field}: a placeholder is written {{{{name}}}} with a name of letters, digits and dots");
    }

    // A section's tags swallow the line break right after them, so a tag alone on its line leaves none.
    [GeneratedRegex(@"\{\{#\s*(?<name>[A-Za-z][A-Za-z0-9_.]*)\s*\}\}\n?(?<inner>.*?)\{\{/\s*\k<name>\s*\}\}\n?", RegexOptions.Singleline | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Section();

    [GeneratedRegex(@"\{\{\s*(?<name>[A-Za-z][A-Za-z0-9_.]*)\s*\}\}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Value();

    [GeneratedRegex(@"\{\{\s*(?<kind>[#/]?)\s*(?<name>[A-Za-z][A-Za-z0-9_.]*)\s*\}\}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Tag();
}
