using System.Collections.Frozen;
using Floodgate.Core.Accounts;
using Floodgate.Core.Lists;
using Floodgate.Storage.Lists;
using MimeKit;

namespace Floodgate.Web.Lists;

/// <summary>
/// The hosted lists' post addresses and posters in memory, for the gateway's RCPT (no database
/// round trip per recipient). Refreshed by the list service's loop every few seconds and after a
/// change through this process, so a list made by the CLI is known within seconds.
/// </summary>
public sealed class ListDirectory(ListStore store) : IListPosts
{
    private FrozenDictionary<int, Entry> _byId = FrozenDictionary<int, Entry>.Empty;

    private FrozenDictionary<string, Entry> _lists = FrozenDictionary<string, Entry>.Empty;
    private FrozenDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byAddress = FrozenDictionary<string, Entry>.Empty.GetAlternateLookup<ReadOnlySpan<char>>();

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var lists = await store.ListPostersAsync(cancellationToken).ConfigureAwait(false);
        var entries = lists.ToFrozenDictionary(l => l.Address, l => new Entry(l.Id, l.Active, [.. l.Posters]), StringComparer.OrdinalIgnoreCase);
        _byAddress = entries.GetAlternateLookup<ReadOnlySpan<char>>();
        _byId = entries.Values.ToFrozenDictionary(e => e.Id);
        _lists = entries;
    }

    public bool TryGetList(ReadOnlySpan<char> address, out int listId)
    {
        if (_lists.Count != 0 && _byAddress.TryGetValue(address, out var entry))
        {
            listId = entry.Id;
            return true;
        }

        listId = 0;
        return false;
    }

    /// <summary>A post was queued: the delivery loop wakes for it.</summary>
    public event Action? Queued;

    public bool MayPost(int listId, MailboxState mailbox) =>
        _byId.TryGetValue(listId, out var entry) && entry.Active && MailingList.IsPosterOf(entry.Posters, mailbox.Address);

    public async ValueTask EnqueueAsync(int listId, MailboxState mailbox, Stream message, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await message.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        var raw = copy.ToArray();
        string subject = string.Empty;
        string? messageId = null;
        try
        {
            using var headers = new MemoryStream(raw, writable: false);
            var parsed = await HeaderList.LoadAsync(headers, cancellationToken).ConfigureAwait(false);
            subject = parsed[HeaderId.Subject] ?? string.Empty;
            messageId = parsed[HeaderId.MessageId];
        }
        catch (FormatException)
        {
            // The subject is for people reading the post list; the post itself is kept as it came.
        }

        await store.EnqueuePostAsync(listId, mailbox.Id, subject, messageId, raw, cancellationToken).ConfigureAwait(false);
        Queued?.Invoke();
    }

    private sealed record Entry(int Id, bool Active, string[] Posters);
}
