namespace Floodgate.Protocols.Smtp;

internal enum SmtpState : byte
{
    /// <summary>Greeting sent, no EHLO/HELO yet (also right after STARTTLS, RFC 3207 4.2).</summary>
    Connected,

    /// <summary>EHLO/HELO done, no transaction open.</summary>
    Greeted,

    /// <summary>MAIL accepted.</summary>
    MailGiven,

    /// <summary>At least one RCPT accepted.</summary>
    RcptGiven,

    /// <summary>Marker in the table: the command is not allowed here (503).</summary>
    Refused = 0xFE,

    /// <summary>Marker in the table: the command leaves the state as it is.</summary>
    Same = 0xFF,
}

/// <summary>
/// Which command is allowed in which state, and the state a positive reply leads to. AUTH and
/// STARTTLS have conditions beyond the state (already authenticated, already TLS) that the
/// connection checks after the table. DATA leads to Greeted when the message ends, whatever the
/// reply, because the transaction is over (RFC 5321 4.1.1.4).
/// </summary>
internal static class SmtpStateTable
{
    private const SmtpState X = SmtpState.Refused;
    private const SmtpState S = SmtpState.Same;
    private const SmtpState G = SmtpState.Greeted;
    private const SmtpState C = SmtpState.Connected;
    private const SmtpState M = SmtpState.MailGiven;
    private const SmtpState R = SmtpState.RcptGiven;

    private const int VerbCount = (int)SmtpVerb.Help + 1;

    // Rows: states. Columns in SmtpVerb order:
    //   Unknown Helo Ehlo StartTls Auth Mail Rcpt Data Rset Noop Quit Vrfy Help
    private static ReadOnlySpan<byte> Table =>
    [
        /* Connected */ (byte)X, (byte)G, (byte)G, (byte)X, (byte)X, (byte)X, (byte)X, (byte)X, (byte)S, (byte)S, (byte)S, (byte)S, (byte)S,
        /* Greeted   */ (byte)X, (byte)G, (byte)G, (byte)C, (byte)S, (byte)M, (byte)X, (byte)X, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S,
        /* MailGiven */ (byte)X, (byte)G, (byte)G, (byte)X, (byte)X, (byte)X, (byte)R, (byte)X, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S,
        /* RcptGiven */ (byte)X, (byte)G, (byte)G, (byte)X, (byte)X, (byte)X, (byte)R, (byte)G, (byte)G, (byte)S, (byte)S, (byte)S, (byte)S,
    ];

    /// <summary>The state after a positive reply to <paramref name="verb"/>, or Refused.</summary>
    public static SmtpState Next(SmtpState state, SmtpVerb verb)
    {
        var next = (SmtpState)Table[((int)state * VerbCount) + (int)verb];
        return next == SmtpState.Same ? state : next;
    }
}
