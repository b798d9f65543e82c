using System.Collections.Frozen;
using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Storage.Lists;

namespace Floodgate.Web.Lists;

/// <summary>
/// The detector's reputation seam fed by list bounces: per mailbox, over the last week, the share
/// of its list copies that bounced on dead addresses (a list not kept clean, or a bought one) and
/// the refusals and complaints that name the sender. Read on the hot path from a snapshot; the
/// snapshot is rebuilt after each bounce and by the maintenance loop, never per message.
/// </summary>
public sealed class BounceReputation(ListStore store, TimeProvider time) : IReputationSource
{
    public static readonly TimeSpan Period = TimeSpan.FromDays(7);

    /// <summary>Below this many copies a rate says nothing.</summary>
    public const int MinSent = 50;

    public const double DeadAddressRate = 0.05;

    public const double SenderRefusalRate = 0.02;

    public const double ComplaintRate = 0.003;

    public const double Weight = 0.5;

    private FrozenDictionary<int, Signal> _signals = FrozenDictionary<int, Signal>.Empty;

    public Signal? Assess(MailboxState mailbox, DateTimeOffset now) => _signals.TryGetValue(mailbox.Id, out var s) ? s : null;

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var since = time.GetUtcNow() - Period;
        var bounces = await store.MailboxBouncesAsync(since, cancellationToken).ConfigureAwait(false);
        var sent = await store.SentByMailboxAsync(since, cancellationToken).ConfigureAwait(false);
        var signals = new Dictionary<int, Signal>();
        foreach (var b in bounces)
        {
            var copies = sent.GetValueOrDefault(b.MailboxId);
            if (copies < MinSent)
                continue;
            var dead = (double)b.MemberHard / copies;
            var refused = (double)b.Sender / copies;
            var complaints = (double)b.Complaints / copies;
            var reasons = new List<string>();
            if (dead > DeadAddressRate)
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{dead:P1} of its list copies went to dead addresses"));
            if (refused > SenderRefusalRate)
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{refused:P1} were refused for policy or reputation"));
            if (complaints > ComplaintRate)
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{complaints:P2} drew complaints"));
            if (reasons.Count > 0)
                signals[b.MailboxId] = new Signal("reputation", Weight * reasons.Count, RuleMode.Enforce,
                    string.Create(CultureInfo.InvariantCulture, $"in the last 7 days, of {copies} list copies: {string.Join("; ", reasons)}"));
        }

        _signals = signals.ToFrozenDictionary();
    }
}
