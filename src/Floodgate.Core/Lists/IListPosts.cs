using Floodgate.Core.Accounts;

namespace Floodgate.Core.Lists;

/// <summary>
/// What a door needs of the hosted lists to take a post itself: is an address a list's post
/// address, may this mailbox post to it, and queue the post. The submission gateway uses it so that a
/// poster's mail to its list, authenticated by the gateway's own AUTH, becomes a post without a trip
/// through an MTA. <see cref="NoListPosts"/> is the default: no list address is known.
/// </summary>
public interface IListPosts
{
    bool TryGetList(ReadOnlySpan<char> address, out int listId);

    bool MayPost(int listId, MailboxState mailbox);

    /// <summary>Stores the post for delivery; durable when it completes. <paramref name="message"/> is read to its end.</summary>
    ValueTask EnqueueAsync(int listId, MailboxState mailbox, Stream message, CancellationToken cancellationToken);
}

public sealed class NoListPosts : IListPosts
{
    public static readonly NoListPosts Instance = new();

    public bool TryGetList(ReadOnlySpan<char> address, out int listId)
    {
        listId = 0;
        return false;
    }

    public bool MayPost(int listId, MailboxState mailbox) => false;

    public ValueTask EnqueueAsync(int listId, MailboxState mailbox, Stream message, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("No hosted lists.");
}
