using System.Net;

namespace Floodgate.Protocols.Milter;

/// <summary>The MTA connection a session serves (Postfix opens one per SMTP connection).</summary>
public sealed record MilterConnectionInfo(EndPoint? Remote);

/// <summary>Creates one session per milter connection.</summary>
public interface IMilterSessionFactory
{
    IMilterSession Open(MilterConnectionInfo connection);
}

/// <summary>
/// The decisions of one milter connection, called in protocol order on the connection's task (never
/// concurrently): the next packet waits for a pending decision. Spans and <see cref="MilterArguments"/>
/// are only valid during the call: a decision that waits (MAIL and RCPT against a shared store) copies
/// what it needs before it returns a pending task. A connection carries any number of messages: each
/// message ends with <see cref="OnEndOfMessageAsync"/> or <see cref="OnAbort"/>, then the next starts
/// with <see cref="OnMailFromAsync"/>.
/// An exception is logged and answered with tempfail; the connection is then closed.
/// </summary>
public interface IMilterSession
{
    MilterDecision OnConnect(MilterConnectInfo client, MilterMacros macros);

    MilterDecision OnHelo(ReadOnlySpan<byte> heloName, MilterMacros macros);

    ValueTask<MilterDecision> OnMailFromAsync(MilterArguments arguments, MilterMacros macros);

    /// <summary>Reject or tempfail refuses this recipient only.</summary>
    ValueTask<MilterDecision> OnRecipientAsync(MilterArguments arguments, MilterMacros macros);

    MilterDecision OnData(MilterMacros macros);

    /// <summary>One header; the value has its leading space removed by the MTA and keeps folding (CRLF + WSP).</summary>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);

    MilterDecision OnEndOfHeaders(MilterMacros macros);

    /// <summary>A body chunk (at most 64 KB from Postfix), CRLF line ends. Copy what you keep, e.g. into a <see cref="MilterBodyBuffer"/>.</summary>
    void OnBodyChunk(ReadOnlyMemory<byte> chunk);

    /// <summary>The final decision. Headers to add go through <paramref name="message"/>; quarantine via <see cref="MilterDecision.Quarantine"/>.</summary>
    ValueTask<MilterDecision> OnEndOfMessageAsync(MilterEndOfMessage message, CancellationToken cancellationToken);

    /// <summary>The message was abandoned (RSET, a rejected command, a lost client); the connection stays.</summary>
    void OnAbort();

    /// <summary>The connection ended, by QUIT or otherwise. Called exactly once.</summary>
    void OnClose();
}

/// <summary>
/// The default session: continues at every step and keeps nothing. Derive from it and override the
/// steps you care about.
/// </summary>
public abstract class MilterSession : IMilterSession
{
    public virtual MilterDecision OnConnect(MilterConnectInfo client, MilterMacros macros) => MilterDecision.Continue;

    public virtual MilterDecision OnHelo(ReadOnlySpan<byte> heloName, MilterMacros macros) => MilterDecision.Continue;

    public virtual ValueTask<MilterDecision> OnMailFromAsync(MilterArguments arguments, MilterMacros macros) => ValueTask.FromResult(MilterDecision.Continue);

    public virtual ValueTask<MilterDecision> OnRecipientAsync(MilterArguments arguments, MilterMacros macros) => ValueTask.FromResult(MilterDecision.Continue);

    public virtual MilterDecision OnData(MilterMacros macros) => MilterDecision.Continue;

    public virtual void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
    }

    public virtual MilterDecision OnEndOfHeaders(MilterMacros macros) => MilterDecision.Continue;

    public virtual void OnBodyChunk(ReadOnlyMemory<byte> chunk)
    {
    }

    public virtual ValueTask<MilterDecision> OnEndOfMessageAsync(MilterEndOfMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(MilterDecision.Continue);

    public virtual void OnAbort()
    {
    }

    public virtual void OnClose()
    {
    }
}

/// <summary>What a session may do at end of message besides deciding. Reused per connection.</summary>
public sealed class MilterEndOfMessage
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    internal MilterEndOfMessage(MilterMacros macros) => Macros = macros;

    public MilterMacros Macros { get; }

    /// <summary>True when the message passed the server's size limit; the session saw only part of the body.</summary>
    public bool Truncated { get; internal set; }

    /// <summary>Total header and body bytes received.</summary>
    public long Size { get; internal set; }

    internal List<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>Adds a header at the end of the header section (needs <see cref="MilterActions.AddHeaders"/>, on by default).</summary>
    public void AddHeader(string name, string value)
    {
        if (name.Length == 0 || name.AsSpan().IndexOfAny(":\r\n\0 ") >= 0)
        {
            throw new ArgumentException($"'{name}' is not a header field name.", nameof(name));
        }

        _headers.Add(new(name, value.Replace('\0', ' ')));
    }

    internal void Reset()
    {
        _headers.Clear();
        Truncated = false;
        Size = 0;
    }
}
