namespace Floodgate.Core.Lists;

/// <summary>What mail to one of a list's addresses asks for.</summary>
public enum ListCommand
{
    /// <summary><c>news@domain</c>: a post.</summary>
    Post,

    /// <summary><c>news+subscribe@domain</c>: the sender asks to join (a confirmation is sent, nothing else).</summary>
    Subscribe,

    /// <summary><c>news+confirm-TOKEN@domain</c>: a reply to the confirmation message.</summary>
    Confirm,

    /// <summary><c>news+unsubscribe-TOKEN@domain</c>: the List-Unsubscribe mailto.</summary>
    Unsubscribe,

    /// <summary><c>news+unsubscribe@domain</c>: leave by mail without a token (answered by a confirmation to the sender).</summary>
    UnsubscribeRequest,

    /// <summary><c>news+bounce-TOKEN@domain</c>: VERP, the envelope sender of a copy to one member.</summary>
    Bounce,

    /// <summary><c>news+bounces@domain</c>: bounces that lost their VERP address; matched by the failed recipient.</summary>
    Bounces,
}

/// <summary>
/// A list's addresses, by RFC 5233 subaddressing on the list's own address: Postfix routes them all to
/// Floodgate with one transport-map line (recipient_delimiter = +).
/// </summary>
public readonly record struct ListAddress(string List, ListCommand Command, string? Token)
{
    public const int MaxListLocalPart = 20;

    public static string Of(string listAddress, ListCommand command, string? token = null)
    {
        var at = listAddress.LastIndexOf('@');
        var local = listAddress[..at];
        var domain = listAddress[(at + 1)..];
        return command switch
        {
            ListCommand.Post => listAddress,
            ListCommand.Subscribe => $"{local}+subscribe@{domain}",
            ListCommand.Confirm => $"{local}+confirm-{token}@{domain}",
            ListCommand.Unsubscribe => $"{local}+unsubscribe-{token}@{domain}",
            ListCommand.UnsubscribeRequest => $"{local}+unsubscribe@{domain}",
            ListCommand.Bounce => $"{local}+bounce-{token}@{domain}",
            _ => $"{local}+bounces@{domain}",
        };
    }

    /// <summary>Splits an envelope recipient into the list's address and the command; false when the detail names no command.</summary>
    public static bool TryParse(string recipient, out ListAddress address)
    {
        address = default;
        var at = recipient.LastIndexOf('@');
        if (at <= 0 || at == recipient.Length - 1)
        {
            return false;
        }

        var local = recipient.AsSpan(0, at);
        var domain = recipient.AsSpan(at);
        var plus = local.IndexOf('+');
        if (plus < 0)
        {
            address = new ListAddress(recipient.ToLowerInvariant(), ListCommand.Post, null);
            return true;
        }

        var list = string.Concat(local[..plus], domain).ToLowerInvariant();
        var detail = local[(plus + 1)..];
        var dash = detail.IndexOf('-');
        var verb = dash < 0 ? detail : detail[..dash];
        var token = dash < 0 ? null : detail[(dash + 1)..].ToString();
        ListCommand? command = verb switch
        {
            _ when verb.Equals("subscribe", StringComparison.OrdinalIgnoreCase) && token is null => ListCommand.Subscribe,
            _ when verb.Equals("join", StringComparison.OrdinalIgnoreCase) && token is null => ListCommand.Subscribe,
            _ when verb.Equals("confirm", StringComparison.OrdinalIgnoreCase) && token is not null => ListCommand.Confirm,
            _ when verb.Equals("unsubscribe", StringComparison.OrdinalIgnoreCase) => token is null ? ListCommand.UnsubscribeRequest : ListCommand.Unsubscribe,
            _ when verb.Equals("leave", StringComparison.OrdinalIgnoreCase) && token is null => ListCommand.UnsubscribeRequest,
            _ when verb.Equals("bounce", StringComparison.OrdinalIgnoreCase) && token is not null => ListCommand.Bounce,
            _ when verb.Equals("bounces", StringComparison.OrdinalIgnoreCase) && token is null => ListCommand.Bounces,
            _ => null,
        };
        if (command is null)
        {
            return false;
        }

        address = new ListAddress(list, command.Value, token);
        return true;
    }
}
