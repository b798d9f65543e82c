using Floodgate.Core.Policy;

using Floodgate.Protocols.Content;

namespace Floodgate.Doors.Relay;

/// <summary>
/// What the upstream said, in SMTP terms, so the door can pass it back: <see cref="Outcome.Accepted"/>
/// (sent), <see cref="Outcome.Deferred"/> (unreachable or 4xx: the client retries) or
/// <see cref="Outcome.Rejected"/> (5xx, passed back).
/// </summary>
public readonly record struct RelayResult(Outcome Outcome, int Code, string EnhancedCode, string Text)
{
    public static RelayResult Sent(string text) => new(Outcome.Accepted, 250, "2.0.0", text);

    /// <summary>
    /// The recipients the upstream refused permanently at RCPT, each with its reply (all of them when the
    /// relay read every reply, the first when the client stops there); null when none was.
    /// </summary>
    public IReadOnlyList<RecipientRefusal>? Refused { get; init; }
}

/// <summary>One RCPT the upstream refused: the recipient's index in the relayed list, the reply code and its text (enhanced code first).</summary>
public readonly record struct RecipientRefusal(int Index, int Code, string Text);

/// <summary>Hands an accepted message on: to the upstream MTA, or to the outbox when none is set.</summary>
public interface IMessageRelay : IAsyncDisposable
{
    string Describe();

    /// <param name="message">The message as received (dot-unstuffed), in memory or spooled; valid until the call returns.</param>
    ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, MessageContent message, CancellationToken cancellationToken);
}
