using System.Text;
using Floodgate.Protocols.Milter;

namespace Floodgate.Protocols.Tests.Milter;

/// <summary>A scripted session: records every callback and decides by recipient and subject.</summary>
internal sealed class RecordingSession : MilterSession
{
    private static readonly MilterDecision Blocked = MilterDecision.ReplyCode(550, "5.7.1", "Recipient blocked by policy");
    private readonly MilterBodyBuffer _body = new(1024 * 1024);
    private string? _subject;

    public List<string> Events { get; } = [];

    public Func<MilterEndOfMessage, CancellationToken, ValueTask<MilterDecision>>? EndOfMessage { get; set; }

    public override MilterDecision OnConnect(MilterConnectInfo client, MilterMacros macros)
    {
        Events.Add($"connect {client.HostNameString} {(char)client.Family} {client.AddressString}:{client.Port} j={macros.Get("j")}");
        return MilterDecision.Continue;
    }

    public override MilterDecision OnHelo(ReadOnlySpan<byte> heloName, MilterMacros macros)
    {
        Events.Add($"helo {Encoding.UTF8.GetString(heloName)}");
        return MilterDecision.Continue;
    }

    public override ValueTask<MilterDecision> OnMailFromAsync(MilterArguments arguments, MilterMacros macros)
    {
        arguments.TryGetParameter("size"u8, out var size);
        Events.Add($"mail {arguments.AddressString} size={Encoding.UTF8.GetString(size)} auth={macros.Get("{auth_authen}")} i={macros.Get("i")}");
        // A sender "slow-..." is decided after a wait, as one against a shared store is.
        return arguments.AddressString.StartsWith("slow-", StringComparison.Ordinal) ? LaterAsync(MilterDecision.Continue) : ValueTask.FromResult(MilterDecision.Continue);
    }

    public override ValueTask<MilterDecision> OnRecipientAsync(MilterArguments arguments, MilterMacros macros)
    {
        var address = arguments.AddressString;
        Events.Add($"rcpt {address} rcpt_addr={macros.Get("rcpt_addr")}");
        var slow = address.StartsWith("slow-", StringComparison.Ordinal);
        address = slow ? address["slow-".Length..] : address;
        if (address == "boom@example.org")
        {
            return slow ? FailLaterAsync() : throw new InvalidOperationException("scripted failure");
        }

        var decision = address == "blocked@example.org" ? Blocked : MilterDecision.Continue;
        return slow ? LaterAsync(decision) : ValueTask.FromResult(decision);
    }

    private static async ValueTask<MilterDecision> LaterAsync(MilterDecision decision)
    {
        await Task.Delay(30);
        return decision;
    }

    private static async ValueTask<MilterDecision> FailLaterAsync()
    {
        await Task.Delay(30);
        throw new InvalidOperationException("scripted failure after a wait");
    }

    public override MilterDecision OnData(MilterMacros macros)
    {
        Events.Add("data");
        return MilterDecision.Continue;
    }

    public override void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var header = Encoding.UTF8.GetString(name);
        if (header.Equals("Subject", StringComparison.OrdinalIgnoreCase))
        {
            _subject = Encoding.UTF8.GetString(value);
        }

        Events.Add($"header {header}");
    }

    public override MilterDecision OnEndOfHeaders(MilterMacros macros)
    {
        Events.Add("eoh");
        return MilterDecision.Continue;
    }

    public override void OnBodyChunk(ReadOnlyMemory<byte> chunk) => _body.Append(chunk.Span);

    public override ValueTask<MilterDecision> OnEndOfMessageAsync(MilterEndOfMessage message, CancellationToken cancellationToken)
    {
        Events.Add($"eom body={_body.Length} size={message.Size} i={message.Macros.Get("i")}");
        _body.Reset();
        if (EndOfMessage is not null)
        {
            return EndOfMessage(message, cancellationToken);
        }

        if (_subject == "quarantine me")
        {
            return ValueTask.FromResult(MilterDecision.Quarantine("suspected spam run"));
        }

        message.AddHeader("X-Floodgate", "checked");
        return ValueTask.FromResult(MilterDecision.Continue);
    }

    public override void OnAbort()
    {
        _body.Reset();
        _subject = null;
        Events.Add("abort");
    }

    public override void OnClose()
    {
        _body.Dispose();
        Events.Add("close");
    }
}

internal sealed class RecordingSessionFactory : IMilterSessionFactory
{
    public List<RecordingSession> Sessions { get; } = [];

    public Action<RecordingSession>? Configure { get; set; }

    public IMilterSession Open(MilterConnectionInfo connection)
    {
        var session = new RecordingSession();
        Configure?.Invoke(session);
        lock (Sessions)
        {
            Sessions.Add(session);
        }

        return session;
    }
}
