using Floodgate.Storage.Lists;

namespace Floodgate.Web.Api;

// What the list endpoints answer: the same shape in a list and by id, never a post's or a bounce's raw bytes inline.

public sealed record ListView(
    int Id, int ClientId, int DomainId, string Address, string Name, string Description, IReadOnlyList<string> Posters,
    ListStatus Status, int PendingLifetimeHours, string SubscribeUrl, DateTimeOffset CreatedAt)
{
    internal static ListView Of(MailingList l, string subscribeUrl) => new(
        l.Id, l.ClientId, l.DomainId, l.Address, l.Name, l.Description, PostersOf(l), l.Status, l.PendingLifetimeHours, subscribeUrl, l.CreatedAt);

    internal static IReadOnlyList<string> PostersOf(MailingList l) => l.PosterAddresses;
}

public sealed record ListSummaryView(int Id, int ClientId, string Address, string Name, ListStatus Status, int Confirmed, int Pending, int Disabled)
{
    internal static ListSummaryView Of(ListSummary s) => new(s.Id, s.ClientId, s.Address, s.Name, s.Status, s.Confirmed, s.Pending, s.Disabled);
}

public sealed record MemberView(int Id, int ListId, string Address, MemberStatus Status, DateTimeOffset RequestedAt, DateTimeOffset? ConfirmedAt, double BounceScore, DateTimeOffset UpdatedAt)
{
    internal static MemberView Of(ListMember m) => new(m.Id, m.ListId, m.Address, m.Status, m.RequestedAt, m.ConfirmedAt, m.BounceScore, m.UpdatedAt);
}

/// <summary>The proof of consent: who asked, when, from where and how; when it was confirmed and how; when it ended.</summary>
public sealed record ConsentView(
    DateTimeOffset RequestedAt, string RequestMethod, string? RequestFrom, string? RequestUserAgent,
    DateTimeOffset? ConfirmationSentAt, int ConfirmationsSent,
    DateTimeOffset? ConfirmedAt, string? ConfirmMethod, string? ConfirmedFrom, string? ConfirmedUserAgent,
    DateTimeOffset? UnsubscribedAt, string? UnsubscribeMethod, DateTimeOffset? DisabledAt, DateTimeOffset? RemovedAt)
{
    internal static ConsentView Of(ListMember m) => new(
        m.RequestedAt, m.RequestMethod, m.RequestFrom, m.RequestUserAgent, m.ConfirmationSentAt, m.ConfirmationsSent,
        m.ConfirmedAt, m.ConfirmMethod, m.ConfirmedFrom, m.ConfirmedUserAgent, m.UnsubscribedAt, m.UnsubscribeMethod, m.DisabledAt, m.RemovedAt);
}

public sealed record MemberEventView(long Id, DateTimeOffset At, string Kind, string Detail, string? From, string? UserAgent, long? BounceId)
{
    internal static MemberEventView Of(MemberEvent e) => new(e.Id, e.At, e.Kind, e.Detail, e.From, e.UserAgent, e.BounceMessageId);
}

/// <param name="BounceId">The kept message: <c>GET /api/v1/bounces/{bounceId}/raw</c>.</param>
public sealed record BounceView(long Id, long BounceId, DateTimeOffset ReceivedAt, string Recipient, string Status, string Reason, bool Hard, string Impact, string? FeedbackType, string Diagnostic)
{
    internal static BounceView Of(BounceRecord b) => new(b.Id, b.BounceMessageId, b.ReceivedAt, b.Recipient, b.Status, b.Reason, b.Hard, b.Impact, b.FeedbackType, b.Diagnostic);
}

public sealed record MemberDetailView(MemberView Member, ConsentView Consent, double BounceScore, DateTimeOffset? LastBounceAt, IReadOnlyList<MemberEventView> History, IReadOnlyList<BounceView> Bounces);

public sealed record PostView(long Id, int MailboxId, string Subject, DateTimeOffset ReceivedAt, PostStatus Status, int Sent, int Failed, string? Detail, DateTimeOffset? FinishedAt)
{
    internal static PostView Of(ListPostSummary p) => new(p.Id, p.MailboxId, p.Subject, p.ReceivedAt, p.Status, p.Sent, p.Failed, p.Detail, p.FinishedAt);
}

/// <summary>A new list; its address must be on a domain of the client.</summary>
public sealed record ListCreate(int? ClientId, string? Address, string? Name, string? Description, IReadOnlyList<string>? Posters, int? PendingLifetimeHours);

/// <summary>What to change of a list; a field left out or null stays as it is.</summary>
public sealed record ListUpdate(string? Name, string? Description, IReadOnlyList<string>? Posters, int? PendingLifetimeHours, string? Status);

/// <param name="RequestedFrom">The address the person asked from (the client's own form relays it), for the consent record.</param>
public sealed record SubscriptionCreate(string? Address, string? RequestedFrom, string? UserAgent);

/// <param name="ConfirmationSent">False when a confirmation went out lately (or the member is confirmed already): none is sent again yet.</param>
public sealed record SubscriptionView(MemberView Member, bool ConfirmationSent, bool AlreadyConfirmed);

/// <param name="Source">Where the addresses came from (a sign-up sheet, another system): kept in each member's consent record.</param>
public sealed record ImportCreate(string? Source, IReadOnlyList<string>? Addresses);

public sealed record ImportView(int Added, int AlreadyMembers, IReadOnlyList<string> Invalid);
