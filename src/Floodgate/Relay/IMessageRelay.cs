namespace Floodgate.Relay;

public enum RelayOutcome
{
    Sent,

    /// <summary>The upstream could not be reached or answered 4xx: the client retries.</summary>
    TemporaryFailure,

    /// <summary>The upstream answered 5xx: passed back to the client.</summary>
    PermanentFailure,
}

/// <summary>What the upstream said, in SMTP terms, so the front door can pass it back.</summary>
public readonly record struct RelayResult(RelayOutcome Outcome, int Code, string EnhancedCode, string Text)
{
    public static RelayResult Sent(string text) => new(RelayOutcome.Sent, 250, "2.0.0", text);
}

/// <summary>Hands an accepted message on: to the upstream MTA, or to the outbox when none is set.</summary>
public interface IMessageRelay : IAsyncDisposable
{
    string Describe();

    /// <param name="received">The message as received (dot-unstuffed), valid until the call returns.</param>
    ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, ReadOnlyMemory<byte> received, CancellationToken cancellationToken);
}
