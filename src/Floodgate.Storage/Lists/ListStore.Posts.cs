using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Lists;

public sealed partial class ListStore
{
    /// <summary>Queues a post for delivery: durable before the poster is told it was accepted.</summary>
    public async Task<ListPost> EnqueuePostAsync(int listId, int mailboxId, string subject, string? messageId, byte[] raw, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var post = new ListPost
        {
            ListId = listId,
            MailboxId = mailboxId,
            Subject = Clip(subject, 1000),
            MessageId = ClipOrNull(messageId, 1000),
            ReceivedAt = time.GetUtcNow(),
            Status = PostStatus.Queued,
            Raw = raw,
        };
        db.ListPosts.Add(post);
        await db.SaveChangesAsync(cancellationToken);
        return post;
    }

    /// <summary>The oldest post not finished whose wait (a full window, a deferring upstream) is over.</summary>
    public async Task<ListPost?> NextPostAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListPosts.AsNoTracking()
            .Where(p => (p.Status == PostStatus.Queued || p.Status == PostStatus.Sending) && (p.NotBefore == null || p.NotBefore <= now))
            .OrderBy(p => p.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>When the next waiting post may go, or null when none waits.</summary>
    public async Task<DateTimeOffset?> NextWakeAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListPosts.AsNoTracking()
            .Where(p => p.Status == PostStatus.Queued || p.Status == PostStatus.Sending)
            .OrderBy(p => p.NotBefore).Select(p => p.NotBefore).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Saves how far a post got: the members up to <paramref name="lastMemberId"/> were handled.</summary>
    public async Task SavePostProgressAsync(long postId, int lastMemberId, int sent, int failed, PostStatus status, DateTimeOffset? notBefore, string? detail, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var finished = status is PostStatus.Done or PostStatus.Stopped ? time.GetUtcNow() : (DateTimeOffset?)null;
        await db.ListPosts.Where(p => p.Id == postId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.LastMemberId, lastMemberId)
            .SetProperty(p => p.Sent, sent)
            .SetProperty(p => p.Failed, failed)
            .SetProperty(p => p.Status, status)
            .SetProperty(p => p.NotBefore, notBefore)
            .SetProperty(p => p.StatusDetail, detail == null ? null : Clip(detail, 1000))
            .SetProperty(p => p.FinishedAt, finished), cancellationToken);
    }

    public async Task<IReadOnlyList<ListPostSummary>> ListPostsAsync(int listId, int limit = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListPosts.AsNoTracking().Where(p => p.ListId == listId).OrderByDescending(p => p.Id).Take(Math.Clamp(limit, 1, 500))
            .Select(p => new ListPostSummary(p.Id, p.ListId, p.MailboxId, p.Subject, p.ReceivedAt, p.Status, p.Sent, p.Failed, p.StatusDetail, p.FinishedAt))
            .ToListAsync(cancellationToken);
    }
}

public sealed record ListPostSummary(long Id, int ListId, int MailboxId, string Subject, DateTimeOffset ReceivedAt, PostStatus Status, int Sent, int Failed, string? Detail, DateTimeOffset? FinishedAt);

public sealed partial class ListStore
{
    /// <summary>List copies sent per poster mailbox, of posts received since <paramref name="since"/>.</summary>
    public async Task<IReadOnlyDictionary<int, int>> SentByMailboxAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.ListPosts.AsNoTracking().Where(p => p.ReceivedAt >= since)
            .GroupBy(p => p.MailboxId).Select(g => new { g.Key, Sent = g.Sum(p => p.Sent) }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.Key, r => r.Sent);
    }
}

public sealed record ListPosters(int Id, string Address, bool Active, IReadOnlyList<string> Posters);

public sealed partial class ListStore
{
    /// <summary>Every list's post address and posters: what a door needs to take a post itself.</summary>
    public async Task<IReadOnlyList<ListPosters>> ListPostersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Lists.AsNoTracking().Select(l => new { l.Id, l.Address, l.Status, l.Posters }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new ListPosters(r.Id, r.Address, r.Status == ListStatus.Active, MailingList.SplitPosters(r.Posters)))];
    }
}
