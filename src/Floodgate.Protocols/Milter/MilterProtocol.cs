namespace Floodgate.Protocols.Milter;

/// <summary>Commands the MTA sends (libmilter mfdef.h SMFIC_*); the value is the command byte.</summary>
public enum MilterCommand : byte
{
    Abort = (byte)'A',
    Body = (byte)'B',
    Connect = (byte)'C',
    Macro = (byte)'D',
    EndOfBody = (byte)'E',
    Helo = (byte)'H',
    QuitNewConnection = (byte)'K',
    Header = (byte)'L',
    Mail = (byte)'M',
    EndOfHeaders = (byte)'N',
    OptionNegotiation = (byte)'O',
    Quit = (byte)'Q',
    Rcpt = (byte)'R',
    Data = (byte)'T',
    Unknown = (byte)'U',
}

/// <summary>Replies the milter sends (mfdef.h SMFIR_*); the value is the reply byte.</summary>
internal enum MilterResponse : byte
{
    Accept = (byte)'a',
    Continue = (byte)'c',
    Discard = (byte)'d',
    AddHeader = (byte)'h',
    OptionNegotiation = (byte)'O',
    Progress = (byte)'p',
    Quarantine = (byte)'q',
    Reject = (byte)'r',
    Tempfail = (byte)'t',
    ReplyCode = (byte)'y',
}

/// <summary>Modifications the milter may make at end of message (mfapi.h SMFIF_*).</summary>
[Flags]
public enum MilterActions : uint
{
    None = 0,
    AddHeaders = 0x01,
    ChangeBody = 0x02,
    AddRecipients = 0x04,
    DeleteRecipients = 0x08,
    ChangeHeaders = 0x10,
    Quarantine = 0x20,
    ChangeFrom = 0x40,
    AddRecipientsWithParameters = 0x80,
    SetSymbolList = 0x100,
}

/// <summary>Protocol steps to skip or not to answer (mfdef.h SMFIP_*).</summary>
[Flags]
public enum MilterProtocolFlags : uint
{
    None = 0,
    NoConnect = 0x01,
    NoHelo = 0x02,
    NoMail = 0x04,
    NoRcpt = 0x08,
    NoBody = 0x10,
    NoHeaders = 0x20,
    NoEndOfHeaders = 0x40,
    NoReplyHeader = 0x80,
    NoUnknown = 0x100,
    NoData = 0x200,
    Skip = 0x400,
    RcptRejected = 0x800,
    NoReplyConnect = 0x1000,
    NoReplyHelo = 0x2000,
    NoReplyMail = 0x4000,
    NoReplyRcpt = 0x8000,
    NoReplyData = 0x10000,
    NoReplyUnknown = 0x20000,
    NoReplyEndOfHeaders = 0x40000,
    NoReplyBody = 0x80000,
    HeaderLeadingSpace = 0x100000,
}

/// <summary>The stages a macro list belongs to, as numbered by set-symlist (mfapi.h SMFIM_*).</summary>
public enum MilterMacroStage
{
    Connect = 0,
    Helo = 1,
    Mail = 2,
    Rcpt = 3,
    Data = 4,
    EndOfMessage = 5,
    EndOfHeaders = 6,
}

internal static class MilterProtocol
{
    /// <summary>The protocol version this implementation speaks (Sendmail 8.14, Postfix 2.6 and later).</summary>
    public const uint Version = 6;

    /// <summary>4-byte big-endian length, then the command byte.</summary>
    public const int HeaderSize = 5;
}
