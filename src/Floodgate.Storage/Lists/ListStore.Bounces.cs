using Floodgate.Core.Bounces;
using Floodgate.Core.Lists;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Lists;

/// <summary>A bounce as received. <paramref name="VerpMemberId"/>: the member its VERP address named (token checked), if any.</summary>
public sealed record BounceIntake(string Source, string? EnvelopeRecipient, ReadOnlyMemory<byte> Raw, BounceReport Report, int? ListId = null, int? VerpMemberId = null);

/// <summary>What a bounce did to one member.</summary>
public sealed record MemberChange(int MemberId, int ListId, string Address, string Reason, BounceImpact? Impact, HygieneAction Action, double Score, bool Unsubscribed);

public sealed record BounceOutcome(long BounceMessageId, string Kind, int Recipients, IReadOnlyList<MemberChange> Changes)
{
    /// <summary>For a complaint: whom it was attributed to and why, or why the report was refused as malformed ARF.</summary>
    public Complaints.ComplaintOutcome? Complaint { get; init; }
}

/// <summary>Bounces and complaints per mailbox over a period: what the detector's reputation reads.</summary>
public sealed record MailboxBounces(int MailboxId, int MemberHard, int MemberSoft, int Sender, int Complaints);

public sealed partial class ListStore
{
    /// <summary>
    /// Keeps the bounce as it came, one row per failed recipient, and applies each to its member:
    /// the hygiene score for the member's side, nothing for a refusal that is the sender's problem,
    /// an unsubscribe for a complaint (someone who reports a list's mail as spam wants none of it).
    /// One database transaction: a bounce is recorded with its effects or not at all.
    /// </summary>
    public async Task<BounceOutcome> RecordBounceAsync(BounceIntake intake, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intake);
        var now = time.GetUtcNow();
        var report = intake.Report;
        var kind = report.Kind switch
        {
            BounceKind.Failure => "failure",
            BounceKind.Feedback => "feedback",
            _ => report.Error is null ? "not-bounce" : "malformed",
        };
        var raw = intake.Raw.Length > BounceMessage.MaxRawBytes ? intake.Raw[..BounceMessage.MaxRawBytes] : intake.Raw;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var message = new BounceMessage
        {
            ReceivedAt = now,
            Source = Clip(intake.Source, 20),
            EnvelopeRecipient = ClipOrNull(intake.EnvelopeRecipient, 320),
            Kind = kind,
            Error = ClipOrNull(report.Error, 1000),
            Size = intake.Raw.Length,
            Truncated = raw.Length < intake.Raw.Length,
            Raw = raw.ToArray(),
        };
        db.BounceMessages.Add(message);
        await db.SaveChangesAsync(cancellationToken);

        var poster = intake.ListId is { } lid
            ? await db.ListPosts.Where(p => p.ListId == lid && p.ReceivedAt <= now).OrderByDescending(p => p.Id).Select(p => (int?)p.MailboxId).FirstOrDefaultAsync(cancellationToken)
            : null;
        var changes = new List<MemberChange>();
        var seen = new HashSet<int>();
        foreach (var failed in report.Recipients)
        {
            var member = await FindBouncedMemberAsync(db, intake, failed, report.Recipients.Count, cancellationToken);
            var impact = report.Kind == BounceKind.Feedback ? (BounceImpact?)null : ListHygiene.ImpactOf(failed.Reason, failed.Hard);
            db.Bounces.Add(new BounceRecord
            {
                BounceMessageId = message.Id,
                ReceivedAt = now,
                Recipient = Clip(failed.Recipient, 320),
                Status = Clip(failed.Status, 16),
                Reason = failed.Reason.Name(),
                Hard = failed.Hard,
                Impact = impact switch
                {
                    null => "feedback",
                    BounceImpact.MemberHard => "member-hard",
                    BounceImpact.MemberSoft => "member-soft",
                    _ => "sender",
                },
                FeedbackType = ClipOrNull(failed.FeedbackType, 40),
                Diagnostic = Clip(failed.Diagnostic, 1000),
                ListId = member?.ListId ?? intake.ListId,
                MemberId = member?.Id,
                MailboxId = poster,
            });

            // One bounce message counts once per member, however many times it names the address.
            if (member is null || !seen.Add(member.Id))
                continue;
            changes.Add(Apply(db, member, failed, impact, now, message.Id));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new BounceOutcome(message.Id, kind, report.Recipients.Count, changes);
    }

    private MemberChange Apply(FloodgateDbContext db, ListMember member, FailedRecipient failed, BounceImpact? impact, DateTimeOffset now, long bounceId)
    {
        var what = $"{failed.Reason.Name()} {failed.Status}".Trim();
        if (impact is null)
        {
            Record(db, member, now, MemberEvents.Bounce, $"complaint ({failed.FeedbackType ?? "abuse"}): unsubscribed", new ConsentSource("complaint", failed.RemoteMta, null), bounceId);
            var unsubscribed = member.Status != MemberStatus.Unsubscribed;
            if (unsubscribed)
            {
                member.Status = MemberStatus.Unsubscribed;
                member.UnsubscribedAt = now;
                member.UnsubscribeMethod = "complaint";
                member.UpdatedAt = now;
                Record(db, member, now, MemberEvents.Unsubscribed, "unsubscribed by a complaint (ARF)", null, bounceId);
            }

            return new MemberChange(member.Id, member.ListId, member.Address, "feedback", null, HygieneAction.None, member.BounceScore, unsubscribed);
        }

        if (impact == BounceImpact.Sender || member.Status is MemberStatus.Unsubscribed or MemberStatus.Removed)
        {
            // The sender's problem (policy, reputation, content) never moves a member's score.
            Record(db, member, now, MemberEvents.Bounce, $"{what}: {(impact == BounceImpact.Sender ? "a refusal of the sender, not counted against the member" : "not counted, no longer a member")}", null, bounceId);
            return new MemberChange(member.Id, member.ListId, member.Address, failed.Reason.Name(), impact, HygieneAction.None, member.BounceScore, false);
        }

        var before = new BounceScore(member.BounceScore, member.LastBounceAt, member.BounceCountedToday);
        var after = ListHygiene.Apply(before, impact.Value, now, hygiene);
        member.BounceScore = after.Score;
        member.LastBounceAt = after.LastBounceAt;
        member.BounceCountedToday = after.CountedToday;
        member.UpdatedAt = now;
        var counted = after.Score - ListHygiene.Current(before, now, hygiene);
        Record(db, member, now, MemberEvents.Bounce,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} ({(impact == BounceImpact.MemberHard ? "hard" : "soft")}): score {after.Score:0.##}{(counted <= 0 ? ", already counted today" : string.Empty)}"),
            null, bounceId);

        var action = member.Status == MemberStatus.Pending
            ? (impact == BounceImpact.MemberHard ? HygieneAction.Remove : HygieneAction.None)
            : ListHygiene.Decide(after.Score, member.Status == MemberStatus.Disabled, member.DisabledAt, now, hygiene);
        ApplyAction(db, member, action, now, bounceId);
        return new MemberChange(member.Id, member.ListId, member.Address, failed.Reason.Name(), impact, action, after.Score, false);
    }

    private void ApplyAction(FloodgateDbContext db, ListMember member, HygieneAction action, DateTimeOffset now, long? bounceId)
    {
        string Score() => member.BounceScore.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
        if (action == HygieneAction.Disable)
        {
            member.Status = MemberStatus.Disabled;
            member.DisabledAt = now;
            member.ReenableSentAt = null;
            Record(db, member, now, MemberEvents.Disabled, $"disabled: bounce score {Score()} reached {hygiene.DisableScore}", null, bounceId);
        }
        else if (action == HygieneAction.Remove)
        {
            var why = member.Status == MemberStatus.Pending
                ? "removed: the confirmation bounced, the address is dead"
                : member.Status == MemberStatus.Disabled && member.BounceScore < hygiene.RemoveScore
                ? $"removed: disabled since {member.DisabledAt:u} and not re-enabled"
                : $"removed: bounce score {Score()}";
            member.Status = MemberStatus.Removed;
            member.RemovedAt = now;
            Record(db, member, now, MemberEvents.Removed, why, null, bounceId);
        }
    }

    private static async Task<ListMember?> FindBouncedMemberAsync(FloodgateDbContext db, BounceIntake intake, FailedRecipient failed, int recipients, CancellationToken cancellationToken)
    {
        var address = failed.Recipient.Trim().ToLowerInvariant();
        if (intake.VerpMemberId is { } id)
        {
            // VERP names the member whatever address the remote end reports (forwarding rewrites it);
            // with several failed recipients, only the one that matches.
            var verp = await db.ListMembers.FirstOrDefaultAsync(m => m.Id == id, cancellationToken);
            if (verp is not null && (recipients == 1 || verp.Address == address))
                return verp;
        }

        return intake.ListId is { } listId
            ? await db.ListMembers.FirstOrDefaultAsync(m => m.ListId == listId && m.Address == address, cancellationToken)
            : null;
    }

    /// <summary>Removes members disabled too long; a quiet score also leaves them disabled until then (their re-enable link still works).</summary>
    public async Task<int> SweepHygieneAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var before = now - hygiene.RemoveAfterDisabled;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expired = await db.ListMembers.Where(m => m.Status == MemberStatus.Disabled && m.DisabledAt <= before).ToListAsync(cancellationToken);
        foreach (var member in expired)
        {
            ApplyAction(db, member, HygieneAction.Remove, now, null);
            member.UpdatedAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
        return expired.Count;
    }

    /// <summary>The disabled member clicked its re-enable link: posts reach it again, its score starts from zero.</summary>
    public async Task<ListMember?> ReenableAsync(int memberId, ConsentSource source, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var member = await db.ListMembers.FirstOrDefaultAsync(m => m.Id == memberId, cancellationToken);
        if (member is null || member.Status is not (MemberStatus.Disabled or MemberStatus.Confirmed))
            return null;
        if (member.Status == MemberStatus.Disabled)
        {
            var now = time.GetUtcNow();
            member.Status = MemberStatus.Confirmed;
            member.BounceScore = 0;
            member.BounceCountedToday = 0;
            member.DisabledAt = null;
            member.UpdatedAt = now;
            Record(db, member, now, MemberEvents.Reenabled, "re-enabled by " + source.Method, source);
            await db.SaveChangesAsync(cancellationToken);
        }

        return member;
    }

    public async Task RecordReenableSentAsync(int memberId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var member = await db.ListMembers.FirstAsync(m => m.Id == memberId, cancellationToken);
        member.ReenableSentAt = time.GetUtcNow();
        Record(db, member, time.GetUtcNow(), MemberEvents.ReenableSent, "re-enable link sent", null);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Members owed a message by the list: a pending request never sent its confirmation (made by the
    /// CLI, or the send failed), a disabled member never sent its re-enable link. The server's loop
    /// sends them, so a request recorded is never left without its mail.
    /// </summary>
    public async Task<IReadOnlyList<ListMember>> NoticesDueAsync(int take, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListMembers.AsNoTracking()
            .Where(m => (m.Status == MemberStatus.Pending && m.ConfirmationsSent == 0) || (m.Status == MemberStatus.Disabled && m.ReenableSentAt == null))
            .OrderBy(m => m.Id).Take(take).ToListAsync(cancellationToken);
    }

    public async Task<BounceMessage?> GetBounceMessageAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.BounceMessages.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
    }

    /// <summary>The list a kept bounce was about (by its failed recipients), or null when it named none: who may read it follows from the list's client.</summary>
    public async Task<int?> ListOfBounceAsync(long bounceMessageId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Bounces.AsNoTracking().Where(b => b.BounceMessageId == bounceMessageId && b.ListId != null)
            .OrderBy(b => b.Id).Select(b => b.ListId).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<BounceRecord>> BouncesOfMemberAsync(int memberId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Bounces.AsNoTracking().Where(b => b.MemberId == memberId).OrderBy(b => b.Id).ToListAsync(cancellationToken);
    }

    /// <summary>Per mailbox, the bounces and complaints of its list mail since <paramref name="since"/>.</summary>
    public async Task<IReadOnlyList<MailboxBounces>> MailboxBouncesAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Bounces.AsNoTracking().Where(b => b.MailboxId != null && b.ReceivedAt >= since)
            .GroupBy(b => new { b.MailboxId, b.Impact }).Select(g => new { g.Key.MailboxId, g.Key.Impact, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var result = new Dictionary<int, MailboxBounces>();
        foreach (var r in rows)
        {
            var id = r.MailboxId!.Value;
            var m = result.GetValueOrDefault(id) ?? new MailboxBounces(id, 0, 0, 0, 0);
            result[id] = r.Impact switch
            {
                "member-hard" => m with { MemberHard = m.MemberHard + r.Count },
                "member-soft" => m with { MemberSoft = m.MemberSoft + r.Count },
                "sender" => m with { Sender = m.Sender + r.Count },
                _ => m with { Complaints = m.Complaints + r.Count },
            };
        }

        return [.. result.Values.OrderBy(m => m.MailboxId)];
    }
}
