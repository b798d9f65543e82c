namespace Floodgate.Storage.Notifications;

/// <summary>
/// An event type: its name, whether the client's primary contact gets an e-mail, and what it means.
/// <paramref name="AbuseDesk"/>: the provider's own abuse desk (Notifications:AbuseDesk) is e-mailed
/// instead; such events concern no client.
/// </summary>
public sealed record NotificationType(string Name, bool Email, string Description, bool AbuseDesk = false);

/// <summary>
/// Every event type, as a table. Webhooks receive all of them (or the ones an endpoint asks for);
/// the primary contact is e-mailed at a suspension, its lifting and each step of the incident that
/// asks something of the client or tells it the outcome. Internal events (a held message, an
/// overdue call, the incident's opening, which the suspension e-mail already announces) go to
/// webhooks only.
/// </summary>
public static class NotificationTypes
{
    public const string MailboxHeld = "mailbox.held";
    public const string MailboxSuspended = "mailbox.suspended";
    public const string DomainSuspended = "domain.suspended";
    public const string ClientSuspended = "client.suspended";
    public const string ClientTerminated = "client.terminated";
    public const string MailboxLifted = "mailbox.lifted";
    public const string DomainLifted = "domain.lifted";
    public const string ClientLifted = "client.lifted";
    public const string IncidentOpened = "incident.opened";
    public const string IncidentReported = "incident.reported";
    public const string IncidentReturned = "incident.returned";
    public const string IncidentAccepted = "incident.accepted";
    public const string IncidentReinstated = "incident.reinstated";
    public const string IncidentClosed = "incident.closed";
    public const string ContactTaskOverdue = "contact_task.overdue";
    public const string BlocklistListed = "blocklist.listed";
    public const string BlocklistDelisted = "blocklist.delisted";

    public static readonly IReadOnlyList<NotificationType> All =
    [
        new(MailboxHeld, false, "A message of the mailbox was held as a likely mass mailing (at most one event per mailbox per hour)."),
        new(MailboxSuspended, true, "A mailbox was suspended: by the detector (first offense) or by an operator."),
        new(DomainSuspended, true, "A domain was suspended: by the detector (second offense) or by an operator."),
        new(ClientSuspended, true, "An operator suspended a whole client by hand."),
        new(ClientTerminated, true, "The client was terminated from the network (third offense)."),
        new(MailboxLifted, true, "An operator lifted a mailbox's suspension by hand."),
        new(DomainLifted, true, "An operator lifted a domain's suspension by hand."),
        new(ClientLifted, true, "An operator lifted a client's suspension or termination by hand."),
        new(IncidentOpened, false, "An incident was opened for an offense; a call to the primary contact is due."),
        new(IncidentReported, true, "The client filed its report."),
        new(IncidentReturned, true, "The report was sent back: the note says what is missing."),
        new(IncidentAccepted, true, "The report was accepted; reinstatement follows."),
        new(IncidentReinstated, true, "The suspension of the incident was lifted: the client may send again."),
        new(IncidentClosed, true, "The incident was closed without reinstatement; the suspension stays."),
        new(ContactTaskOverdue, false, "The call to the primary contact is past its due time and nobody reached the contact."),
        new(BlocklistListed, false, "An outbound address (or sending domain) of the provider is listed on a DNS blocklist; a re-listing within Blocklists:AlertSuppression of the last alert is not announced again.", AbuseDesk: true),
        new(BlocklistDelisted, false, "An outbound address (or sending domain) that was announced listed is no longer listed on the zone.", AbuseDesk: true),
    ];

    private static readonly Dictionary<string, NotificationType> ByName = All.ToDictionary(t => t.Name, StringComparer.Ordinal);

    public static bool TryGet(string name, out NotificationType type) => ByName.TryGetValue(name, out type!);

    public static bool IsEmailed(string name) => ByName.TryGetValue(name, out var t) && t.Email;

    public static bool IsForAbuseDesk(string name) => ByName.TryGetValue(name, out var t) && t.AbuseDesk;
}
