namespace Floodgate.Protocols.Smtp;

internal enum SmtpState : byte
{
    /// <summary>Greeting sent, no EHLO/HELO/LHLO yet (also right after STARTTLS, RFC 3207 4.2).</summary>
    Connected,

    /// <summary>EHLO/HELO/LHLO done, no transaction open.</summary>
    Greeted,

    /// <summary>MAIL accepted.</summary>
    MailGiven,

    /// <summary>At least one RCPT accepted.</summary>
    RcptGiven,

    /// <summary>Marker in the table: the command is not part of this dialect (500), in every state.</summary>
    NotInDialect = 0xFD,

    /// <summary>Marker in the table: the command is not allowed here (503).</summary>
    Refused = 0xFE,

    /// <summary>Marker in the table: the command leaves the state as it is.</summary>
    Same = 0xFF,
}

/// <summary>The protocol a server speaks: SMTP (RFC 5321) or LMTP (RFC 2033), the same wire but for the greeting command and the replies after DATA.</summary>
internal enum SmtpDialect : byte
{
    Smtp,
    Lmtp,
}

/// <summary>
/// Which command is allowed in which state, and the state a positive reply leads to, one table per
/// dialect. AUTH and STARTTLS have conditions beyond the state (already authenticated, already TLS)
/// that the connection checks after the table. DATA leads to Greeted when the message ends, whatever
/// the reply, because the transaction is over (RFC 5321 4.1.1.4).
/// </summary>
internal static class SmtpStateTable
{
    private const SmtpState N = SmtpState.NotInDialect;
    private const SmtpState X = SmtpState.Refused;
    private const SmtpState S = SmtpState.Same;
    private const SmtpState G = SmtpState.Greeted;
    private const SmtpState C = SmtpState.Connected;
    private const SmtpState M = SmtpState.MailGiven;
    private const SmtpState R = SmtpState.RcptGiven;

    private const int VerbCount = (int)SmtpVerb.Lhlo + 1;
    private const int StateCount = (int)SmtpState.RcptGiven + 1;

    // Rows: states, SMTP then LMTP. Columns in SmtpVerb order:
    //   Unknown Helo Ehlo StartTls Auth Mail Rcpt Data Rset Noop Quit Vrfy Help Lhlo
    // LMTP (RFC 2033 4.1): LHLO instead of HELO and EHLO; no STARTTLS or AUTH, the listener is on
    // loopback for the local MTA only.
    private static ReadOnlySpan<byte> Table =>
    [
        /* SMTP Connected */ (byte)X, (byte)G, (byte)G, (byte)X, (byte)X, (byte)X, (byte)X, (byte)X, (byte)S, (byte)S, (byte)S, (byte)S, (byte)S, (byte)N,
        /* SMTP Greeted   */ (byte)X, (byte)G, (byte)G, (byte)C, (byte)S, (byte)M, (byte)X, (byte)X, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S, (byte)N,
        /* SMTP MailGiven */ (byte)X, (byte)G, (byte)G, (byte)X, (byte)X, (byte)X, (byte)R, (byte)X, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S, (byte)N,
        /* SMTP RcptGiven */ (byte)X, (byte)G, (byte)G, (byte)X, (byte)X, (byte)X, (byte)R, (byte)G, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S, (byte)N,
        /* LMTP Connected */ (byte)X, (byte)N, (byte)N, (byte)N, (byte)N, (byte)X, (byte)X, (byte)X, (byte)S, (byte)S, (byte)S, (byte)S, (byte)S, (byte)G,
        /* LMTP Greeted   */ (byte)X, (byte)N, (byte)N, (byte)N, (byte)N, (byte)M, (byte)X, (byte)X, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S, (byte)G,
        /* LMTP MailGiven */ (byte)X, (byte)N, (byte)N, (byte)N, (byte)N, (byte)X, (byte)R, (byte)X, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S, (byte)G,
        /* LMTP RcptGiven */ (byte)X, (byte)N, (byte)N, (byte)N, (byte)N, (byte)X, (byte)R, (byte)G, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S, (byte)G,
    ];

    /// <summary>The state after a positive reply to <paramref name="verb"/>, or Refused, or NotInDialect.</summary>
    public static SmtpState Next(SmtpDialect dialect, SmtpState state, SmtpVerb verb)
    {
        var next = (SmtpState)Table[((((int)dialect * StateCount) + (int)state) * VerbCount) + (int)verb];
        return next == SmtpState.Same ? state : next;
    }
}
