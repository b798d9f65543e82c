namespace Floodgate.Protocols.Smtp;

internal enum SmtpVerb : byte
{
    Unknown,
    Helo,
    Ehlo,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,

    /// <summary>LMTP's greeting (RFC 2033 4.1); a command of the LMTP dialect only.</summary>
    Lhlo,
}

internal enum SmtpParseError : byte
{
    None,

    /// <summary>The verb is not one the server knows (500 5.5.2).</summary>
    UnknownCommand,

    /// <summary>NUL, other control characters or DEL in the line (500 5.5.2).</summary>
    InvalidCharacters,

    /// <summary>The verb is known but its arguments are malformed (501 5.5.4).</summary>
    Syntax,

    /// <summary>A MAIL or RCPT parameter the server did not advertise (555 5.5.4).</summary>
    UnknownParameter,
}

internal enum SmtpBodyType : byte
{
    None,
    SevenBit,
    EightBitMime,
}

/// <summary>
/// One parsed command line. The spans point into the line given to the parser, so a command lives
/// no longer than the receive buffer it came from.
/// </summary>
internal ref struct SmtpCommand
{
    public SmtpVerb Verb;

    public SmtpParseError Error;

    /// <summary>
    /// EHLO/HELO/LHLO: the domain; AUTH: the mechanism; MAIL/RCPT: the address between the angle
    /// brackets (source route removed); VRFY/HELP/NOOP: the rest of the line.
    /// </summary>
    public ReadOnlySpan<byte> Argument;

    /// <summary>AUTH: the initial response, empty when none was given.</summary>
    public ReadOnlySpan<byte> InitialResponse;

    /// <summary>MAIL: the SIZE parameter (RFC 1870), 0 when none was declared.</summary>
    public long Size;

    public SmtpBodyType Body;
}
