namespace Floodgate.Storage.Lists;

public enum ListStatus
{
    Active,

    /// <summary>Takes no posts and no subscriptions; its members and their consent records are kept.</summary>
    Closed,
}

/// <summary>A hosted mailing list of one client, on an address of one of the client's domains.</summary>
public sealed class MailingList
{
    public int Id { get; set; }

    public int ClientId { get; set; }

    public int DomainId { get; set; }

    /// <summary>The post address, lower case: news@lists.example.com. Its subaddresses carry the commands (<see cref="Core.Lists.ListAddress"/>).</summary>
    public string Address { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string Description { get; set; } = string.Empty;

    /// <summary>Mailbox addresses allowed to post, one per line; a post from anyone else is refused.</summary>
    public string Posters { get; set; } = string.Empty;

    /// <summary>The addresses of <see cref="Posters"/>, as stored (lower case).</summary>
    public string[] PosterAddresses => SplitPosters(Posters);

    /// <summary>
    /// The one poster check of every door (SMTP, LMTP, API, CLI): the address as a client writes it,
    /// compared without case, so no door lets through what another refuses.
    /// </summary>
    public bool IsPoster(string address) => IsPosterOf(PosterAddresses, address);

    public static string[] SplitPosters(string posters) => posters.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool IsPosterOf(IReadOnlyCollection<string> posters, string address) =>
        posters.Contains(address.Trim(), StringComparer.OrdinalIgnoreCase);

    public ListStatus Status { get; set; }

    /// <summary>Pending members that never confirmed are pruned after this many hours.</summary>
    public int PendingLifetimeHours { get; set; } = 7 * 24;

    public DateTimeOffset CreatedAt { get; set; }
}

public enum MemberStatus
{
    /// <summary>Asked to join (or imported without proof of opt-in): sent a confirmation, never list content.</summary>
    Pending,

    /// <summary>Confirmed opt-in: receives posts.</summary>
    Confirmed,

    /// <summary>Confirmed, but bouncing: receives no posts until re-enabled.</summary>
    Disabled,

    Unsubscribed,

    /// <summary>Removed for bouncing; a new subscription starts from pending again.</summary>
    Removed,
}

/// <summary>
/// One address on one list, with its consent record (who asked, when, from where, how; when
/// confirmed and from where) and its bounce score. Rows are never deleted but for never-confirmed
/// requests, so the proof of consent outlives the membership.
/// </summary>
public sealed class ListMember
{
    public int Id { get; set; }

    public int ListId { get; set; }

    public string Address { get; set; } = string.Empty;

    public MemberStatus Status { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>web, api, email, import, or console.</summary>
    public string RequestMethod { get; set; } = string.Empty;

    /// <summary>The client address of the request, or the import's named source.</summary>
    public string? RequestFrom { get; set; }

    public string? RequestUserAgent { get; set; }

    public DateTimeOffset? ConfirmationSentAt { get; set; }

    public int ConfirmationsSent { get; set; }

    public DateTimeOffset? ConfirmedAt { get; set; }

    /// <summary>web or email, and the client address or the confirming message's sender.</summary>
    public string? ConfirmMethod { get; set; }

    public string? ConfirmedFrom { get; set; }

    public string? ConfirmedUserAgent { get; set; }

    public DateTimeOffset? UnsubscribedAt { get; set; }

    public string? UnsubscribeMethod { get; set; }

    public double BounceScore { get; set; }

    public DateTimeOffset? LastBounceAt { get; set; }

    public double BounceCountedToday { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>When the re-enable link went to the disabled member; null while it is still to send.</summary>
    public DateTimeOffset? ReenableSentAt { get; set; }

    public DateTimeOffset? RemovedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One line of a member's history: consent, confirmations, posts refused, bounces, hygiene.</summary>
public sealed class MemberEvent
{
    public long Id { get; set; }

    public int MemberId { get; set; }

    public int ListId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><see cref="MemberEvents"/>.</summary>
    public string Kind { get; set; } = string.Empty;

    public string Detail { get; set; } = string.Empty;

    public string? From { get; set; }

    public string? UserAgent { get; set; }

    /// <summary>The bounce that caused it, when one did.</summary>
    public long? BounceMessageId { get; set; }
}

public static class MemberEvents
{
    public const string Requested = "requested";
    public const string ConfirmationSent = "confirmation-sent";
    public const string Confirmed = "confirmed";
    public const string Unsubscribed = "unsubscribed";
    public const string Bounce = "bounce";
    public const string Disabled = "disabled";
    public const string ReenableSent = "reenable-sent";
    public const string Reenabled = "reenabled";
    public const string Removed = "removed";
}

/// <summary>A received bounce or complaint, kept as it came (up to <see cref="MaxRawBytes"/>).</summary>
public sealed class BounceMessage
{
    public const int MaxRawBytes = 1024 * 1024;

    public long Id { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>lmtp, http or cli.</summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>The envelope recipient it came to (a VERP address names the member), when known.</summary>
    public string? EnvelopeRecipient { get; set; }

    /// <summary>failure, feedback, not-bounce or malformed.</summary>
    public string Kind { get; set; } = string.Empty;

    public string? Error { get; set; }

    public long Size { get; set; }

    public bool Truncated { get; set; }

    public byte[] Raw { get; set; } = [];
}

/// <summary>One failed recipient of a bounce, with what it did to the member and to whom it is a signal.</summary>
public sealed class BounceRecord
{
    public long Id { get; set; }

    public long BounceMessageId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public string Recipient { get; set; } = string.Empty;

    public string Status { get; set; } = string.Empty;

    public string Reason { get; set; } = string.Empty;

    public bool Hard { get; set; }

    /// <summary>member-hard, member-soft, sender, or feedback.</summary>
    public string Impact { get; set; } = string.Empty;

    public string? FeedbackType { get; set; }

    public string Diagnostic { get; set; } = string.Empty;

    public int? ListId { get; set; }

    public int? MemberId { get; set; }

    /// <summary>The mailbox whose mail bounced (the post's poster): the detector's reputation reads these.</summary>
    public int? MailboxId { get; set; }
}

public enum PostStatus
{
    Queued,
    Sending,
    Done,

    /// <summary>Stopped: the list closed, or the poster's mailbox, domain or client was suspended.</summary>
    Stopped,
}

/// <summary>
/// A post being delivered: kept with its message so a restart resumes where it stopped
/// (<see cref="LastMemberId"/>: members go out in id order).
/// </summary>
public sealed class ListPost
{
    public long Id { get; set; }

    public int ListId { get; set; }

    /// <summary>The poster's mailbox: the copies count in its, its domain's and its client's windows.</summary>
    public int MailboxId { get; set; }

    public string Subject { get; set; } = string.Empty;

    public string? MessageId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public PostStatus Status { get; set; }

    public int LastMemberId { get; set; }

    public int Sent { get; set; }

    public int Failed { get; set; }

    public DateTimeOffset? NotBefore { get; set; }

    public string? StatusDetail { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public byte[] Raw { get; set; } = [];
}

/// <summary>A named secret Floodgate made for itself (the list token key), kept so links survive restarts.</summary>
public sealed class SigningKey
{
    public string Name { get; set; } = string.Empty;

    public byte[] Key { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
}
