using Floodgate.Core.Complaints;
using Floodgate.Storage.Complaints;

namespace Floodgate.Web.Complaints;

/// <summary>One complaint as evidence: when, what kind, who reported it, about which message, and how it was attributed.</summary>
public sealed record ComplaintItem(
    long Id,
    DateTimeOffset ReceivedAt,
    string FeedbackType,
    string? Reporter,
    string? UserAgent,
    string? OriginalMessageId,
    string? OriginalRecipient,
    string Attribution,
    string Note,
    DateTimeOffset? RelayedAt)
{
    public static ComplaintItem Of(ComplaintRecord c) =>
        new(c.Id, c.ReceivedAt, c.FeedbackType, c.Reporter, c.UserAgent, c.OriginalMessageId, c.OriginalRecipient, c.Attribution, c.Note, c.RelayedAt);
}

/// <summary>A mailbox's complaint rate over the window, as its page and API show it.</summary>
public sealed record ComplaintRateView(int Complaints, int Messages, double? Rate, string Window, double HoldRate, double OffenseRate);

public static class ComplaintEvidence
{
    /// <summary>The mailbox's complaints in the complaint window before <paramref name="at"/> (an offense's time): what its rate was made of.</summary>
    public static async Task<IReadOnlyList<ComplaintItem>> BeforeAsync(ComplaintStore store, ComplaintOptions options, int mailboxId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var rows = await store.OfMailboxAsync(mailboxId, at - options.Window, at, 100, cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ComplaintItem.Of)];
    }

    public static ComplaintRateView Rate(ComplaintReputation reputation, int mailboxId)
    {
        var o = reputation.Options;
        var count = reputation.CountOf(mailboxId) ?? new ComplaintCount(0, 0);
        var window = o.Window.TotalDays >= 1 ? $"{o.Window.TotalDays:0.#} days" : $"{o.Window.TotalHours:0.#} hours";
        return new ComplaintRateView(count.Complaints, count.Messages, count.Messages > 0 ? (double)count.Complaints / count.Messages : null,
            window, o.HoldRate, o.OffenseRate);
    }
}
