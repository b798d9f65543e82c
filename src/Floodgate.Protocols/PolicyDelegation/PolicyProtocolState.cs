namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>The SMTP stage a policy request is made in (the protocol_state attribute).</summary>
public enum PolicyProtocolState : byte
{
    /// <summary>Absent or not one of the values Postfix documents.</summary>
    Unknown,
    Connect,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    EndOfMessage,
    Vrfy,
    Etrn,
}

internal static class PolicyProtocolStates
{
    public static PolicyProtocolState Parse(ReadOnlySpan<byte> value)
    {
        if (value.SequenceEqual("RCPT"u8))
        {
            return PolicyProtocolState.Rcpt;
        }

        if (value.SequenceEqual("END-OF-MESSAGE"u8))
        {
            return PolicyProtocolState.EndOfMessage;
        }

        if (value.SequenceEqual("MAIL"u8))
        {
            return PolicyProtocolState.Mail;
        }

        if (value.SequenceEqual("DATA"u8))
        {
            return PolicyProtocolState.Data;
        }

        if (value.SequenceEqual("CONNECT"u8))
        {
            return PolicyProtocolState.Connect;
        }

        if (value.SequenceEqual("EHLO"u8))
        {
            return PolicyProtocolState.Ehlo;
        }

        if (value.SequenceEqual("HELO"u8))
        {
            return PolicyProtocolState.Helo;
        }

        if (value.SequenceEqual("VRFY"u8))
        {
            return PolicyProtocolState.Vrfy;
        }

        return value.SequenceEqual("ETRN"u8) ? PolicyProtocolState.Etrn : PolicyProtocolState.Unknown;
    }
}
