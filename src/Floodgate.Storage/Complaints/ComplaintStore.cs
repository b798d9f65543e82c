using Floodgate.Core.Bounces;
using Floodgate.Core.Complaints;
using Floodgate.Core.Policy;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Complaints;

/// <summary>What one complaint became: kept with its attribution, or refused as a malformed report.</summary>
public sealed record ComplaintOutcome(long? ComplaintId, string Attribution, int? MailboxId, string? MailboxAddress, string Note, string? Error);

/// <summary>Which mailbox a returned message names, how it was decided, and what was tried (<see cref="ComplaintStore.AttributeAsync(IReadOnlyList{string}, string?, FeedbackId, CancellationToken)"/>).</summary>
public sealed record MessageAttribution(int? MailboxId, DateTimeOffset? RelayedAt, string Attribution, string? FeedbackId, List<string> Notes);

/// <summary>Complaints and relayed messages of one mailbox, domain or client over a window.</summary>
public sealed record ComplaintCount(int Complaints, int Messages);

/// <summary>The counts every rate is made of, per mailbox, domain and client: one read of each table.</summary>
public sealed record ComplaintTotals(
    IReadOnlyDictionary<int, ComplaintCount> Mailboxes,
    IReadOnlyDictionary<int, ComplaintCount> Domains,
    IReadOnlyDictionary<int, ComplaintCount> Clients);

/// <summary>
/// Attributes and keeps ARF complaints. The order of evidence: a CFBL-Feedback-ID that verifies with
/// the provider's key names its mailbox; else the original Message-ID, when the transaction log has
/// it from exactly one mailbox; else nobody. A forged header, another provider's, or a Message-ID we
/// never relayed is never evidence, and the record says what was tried.
/// </summary>
public sealed class ComplaintStore(IDbContextFactory<FloodgateDbContext> dbFactory, TimeProvider time)
{
    public async Task<ComplaintOutcome> RecordAsync(ComplaintFacts facts, FeedbackId ids, long bounceMessageId, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(ids);
        if (facts.Error is { } error)
            return new ComplaintOutcome(null, Attributions.None, null, null, error, error);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await AttributeAsync(db, facts.FeedbackIds, facts.OriginalMessageId, ids, cancellationToken);
        var notes = found.Notes;
        var mailboxId = found.MailboxId;
        var relayedAt = found.RelayedAt;
        var attribution = found.Attribution;
        var shownId = found.FeedbackId;

        var mailbox = mailboxId is { } id
            ? await db.Mailboxes.AsNoTracking().Where(m => m.Id == id).Select(m => new { m.Address, m.DomainId, m.Domain!.ClientId }).FirstOrDefaultAsync(cancellationToken)
            : null;
        if (mailboxId is not null && mailbox is null)
        {
            // Our key signed it, but the mailbox is gone: the complaint is kept and counted against no one.
            notes.Add($"mailbox {mailboxId} no longer exists");
            mailboxId = null;
            attribution = Attributions.None;
        }

        var record = new ComplaintRecord
        {
            ReceivedAt = time.GetUtcNow(),
            BounceMessageId = bounceMessageId,
            Source = Clip(source, 20)!,
            MailboxId = mailboxId,
            MailboxAddress = mailbox?.Address,
            DomainId = mailbox?.DomainId,
            ClientId = mailbox?.ClientId,
            Attribution = attribution,
            Note = Clip(string.Join("; ", notes), 500)!,
            FeedbackType = Clip(facts.FeedbackType, 40)!,
            UserAgent = Clip(facts.UserAgent, 255),
            Reporter = Clip(facts.ReportingMta ?? facts.ReportedDomain, 255),
            OriginalMessageId = Clip(facts.OriginalMessageId, 998),
            OriginalRecipient = Clip(facts.OriginalRecipient, 320),
            OriginalMailFrom = Clip(facts.OriginalMailFrom, 320),
            SourceIp = Clip(facts.SourceIp, 64),
            FeedbackId = Clip(shownId, 200),
            RelayedAt = relayedAt,
        };
        db.Complaints.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return new ComplaintOutcome(record.Id, attribution, mailboxId, mailbox?.Address, record.Note, null);
    }

    /// <summary>
    /// Which mailbox sent a message a report returns, by the order of evidence above (trace header, then
    /// Message-ID in the transaction log), with notes saying what was tried. Bounces use it too.
    /// </summary>
    public async Task<MessageAttribution> AttributeAsync(IReadOnlyList<string> feedbackIds, string? originalMessageId, FeedbackId ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedbackIds);
        ArgumentNullException.ThrowIfNull(ids);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await AttributeAsync(db, feedbackIds, originalMessageId, ids, cancellationToken);
    }

    private static async Task<MessageAttribution> AttributeAsync(FloodgateDbContext db, IReadOnlyList<string> feedbackIds, string? originalMessageId, FeedbackId ids, CancellationToken cancellationToken)
    {
        var notes = new List<string>(2);
        int? mailboxId = null;
        DateTimeOffset? relayedAt = null;
        string attribution = Attributions.None;
        string? shownId = feedbackIds.Count > 0 ? feedbackIds[0] : null;

        // Every trace value is checked; only ours that verify count, and they must agree.
        int valid = 0, forged = 0, foreign = 0;
        int? named = null;
        var conflict = false;
        foreach (var value in feedbackIds)
        {
            switch (ids.Verify(value, out var reference))
            {
                case FeedbackIdCheck.Valid:
                    valid++;
                    shownId = value;
                    if (named is { } other && other != reference.MailboxId)
                        conflict = true;
                    named ??= reference.MailboxId;
                    relayedAt ??= reference.RelayedAt;
                    break;
                case FeedbackIdCheck.BadSignature:
                    forged++;
                    break;
                default:
                    foreign++;
                    break;
            }
        }

        if (valid > 0 && !conflict)
        {
            mailboxId = named;
            attribution = Attributions.TraceHeader;
            notes.Add("trace header verified");
        }
        else
        {
            if (conflict)
                notes.Add("trace headers name different mailboxes (one was copied)");
            else if (forged > 0)
                notes.Add("trace header failed verification");
            else if (foreign > 0)
                notes.Add("trace header is not Floodgate's (another provider's)");
            else
                notes.Add("no trace header");
            relayedAt = null;

            if (originalMessageId is { Length: > 0 } messageId)
            {
                var senders = await db.Transactions.AsNoTracking()
                    .Where(t => t.MessageId == messageId && t.MailboxId != null && t.Verdict == Outcome.Accepted)
                    .OrderByDescending(t => t.Id).Select(t => new { t.MailboxId, t.Time }).Take(20).ToListAsync(cancellationToken);
                var distinct = senders.Select(s => s.MailboxId).Distinct().Count();
                if (distinct == 1)
                {
                    mailboxId = senders[0].MailboxId;
                    relayedAt = senders[0].Time;
                    attribution = Attributions.MessageId;
                    notes.Add("attributed by Message-ID");
                }
                else
                {
                    notes.Add(distinct == 0
                        ? "the Message-ID is not in the transaction log"
                        : $"the Message-ID was relayed for {distinct} mailboxes");
                }
            }
            else
            {
                notes.Add("the report gives no original Message-ID");
            }
        }

        return new MessageAttribution(mailboxId, relayedAt, attribution, shownId, notes);
    }

    /// <summary>
    /// Attributed complaints and relayed messages since <paramref name="since"/>, per mailbox, domain and
    /// client: two grouped queries, whatever the number of mailboxes.
    /// </summary>
    public async Task<ComplaintTotals> TotalsAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var complaints = await db.Complaints.AsNoTracking().Where(c => c.MailboxId != null && c.ReceivedAt >= since)
            .GroupBy(c => new { c.MailboxId, c.DomainId, c.ClientId }).Select(g => new { g.Key.MailboxId, g.Key.DomainId, g.Key.ClientId, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var relayed = await db.Transactions.AsNoTracking()
            .Where(t => t.Time >= since && t.MailboxId != null && t.Counted && t.Verdict == Outcome.Accepted && t.ExternalRecipientCount > 0)
            .GroupBy(t => new { t.MailboxId, t.DomainId, t.ClientId }).Select(g => new { g.Key.MailboxId, g.Key.DomainId, g.Key.ClientId, Count = g.Count() })
            .ToListAsync(cancellationToken);

        var mailboxes = new Dictionary<int, ComplaintCount>();
        var domains = new Dictionary<int, ComplaintCount>();
        var clients = new Dictionary<int, ComplaintCount>();
        foreach (var c in complaints)
            Add(c.MailboxId, c.DomainId, c.ClientId, c.Count, 0);
        foreach (var r in relayed)
            Add(r.MailboxId, r.DomainId, r.ClientId, 0, r.Count);
        return new ComplaintTotals(mailboxes, domains, clients);

        void Add(int? mailbox, int? domain, int? client, int complaintCount, int messages)
        {
            Bump(mailboxes, mailbox);
            Bump(domains, domain);
            Bump(clients, client);

            void Bump(Dictionary<int, ComplaintCount> into, int? key)
            {
                if (key is not { } k)
                    return;
                var was = into.GetValueOrDefault(k) ?? new ComplaintCount(0, 0);
                into[k] = new ComplaintCount(was.Complaints + complaintCount, was.Messages + messages);
            }
        }
    }

    /// <summary>A mailbox's complaints received in [<paramref name="from"/>, <paramref name="to"/>], newest first: an incident's evidence.</summary>
    public async Task<IReadOnlyList<ComplaintRecord>> OfMailboxAsync(int mailboxId, DateTimeOffset from, DateTimeOffset to, int take = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Complaints.AsNoTracking().Where(c => c.MailboxId == mailboxId && c.ReceivedAt >= from && c.ReceivedAt <= to)
            .OrderByDescending(c => c.ReceivedAt).ThenByDescending(c => c.Id).Take(take).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ComplaintRecord>> RecentAsync(int take = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Complaints.AsNoTracking().OrderByDescending(c => c.Id).Take(take).ToListAsync(cancellationToken);
    }

    private static string? Clip(string? value, int max) => value is null ? null : value.Length <= max ? value : value[..max];
}
