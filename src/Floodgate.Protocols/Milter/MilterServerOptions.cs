using System.Text;
using Floodgate.Protocols.Listening;

namespace Floodgate.Protocols.Milter;

/// <summary>Where and how the milter server listens. Bind from configuration and call <see cref="Validate"/> at start.</summary>
public sealed class MilterServerOptions
{
    /// <summary>TCP endpoints; Postfix: <c>smtpd_milters = inet:127.0.0.1:10041</c>.</summary>
    public List<string> TcpEndPoints { get; set; } = ["127.0.0.1:10041"];

    /// <summary>An optional unix-domain socket; Postfix: <c>smtpd_milters = unix:/path</c>. A stale file is removed.</summary>
    public string? UnixSocketPath { get; set; }

    /// <summary>Mode of the socket file: 0660, so that Postfix (in the socket's group) may connect.</summary>
    public UnixFileMode UnixSocketMode { get; set; } =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Postfix opens one milter connection per SMTP connection.</summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>
    /// Time between packets. Postfix keeps the milter connection for the whole SMTP session, which may
    /// idle up to smtpd_timeout (300s) between commands.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(330);

    /// <summary>Time to receive the rest of a started packet: a slow or stuck sender is cut off.</summary>
    public TimeSpan PacketTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest packet data accepted; a larger declared length closes the connection before any allocation.</summary>
    public int MaxPacketDataSize { get; set; } = MilterPacketReader.DefaultMaxDataSize;

    /// <summary>
    /// Header and body bytes per message. Beyond it the session sees no more of the message and the
    /// MTA gets <c>552 5.3.4</c> at the next step it expects a reply for (end of message at the latest).
    /// </summary>
    public long MaxMessageSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>The modifications we ask for; intersected with what the MTA offers.</summary>
    public MilterActions Actions { get; set; } = MilterActions.AddHeaders | MilterActions.Quarantine;

    /// <summary>
    /// Ask the MTA not to wait for a reply to each header and body chunk (SMFIP_NR_HDR, SMFIP_NR_BODY):
    /// saves a round trip per header. Sessions decide at end of headers and end of message instead.
    /// </summary>
    public bool NoReplyForHeadersAndBody { get; set; } = true;

    /// <summary>
    /// Steps every session ignores, asked of the MTA on top of <see cref="NoReplyForHeadersAndBody"/>: not
    /// to send them at all (<see cref="MilterProtocolFlags.NoHelo"/>, <see cref="MilterProtocolFlags.NoData"/>,
    /// <see cref="MilterProtocolFlags.NoUnknown"/>, ...) or not to wait for their reply
    /// (<see cref="MilterProtocolFlags.NoReplyEndOfHeaders"/>, ...). Each saves a round trip per message
    /// or connection; intersected with what the MTA offers. Only the No* and NoReply* flags are allowed.
    /// </summary>
    public MilterProtocolFlags SkippedSteps { get; set; }

    /// <summary>
    /// Macros to ask for per stage (set-symlist, space-separated names such as <c>"i {auth_authen} {mail_addr}"</c>).
    /// Empty: Postfix sends its milter_*_macros settings (see <see cref="MilterMacros"/>).
    /// </summary>
    public Dictionary<MilterMacroStage, string> MacroRequests { get; set; } = [];

    /// <summary>How often to send SMFIR_PROGRESS while the session decides at end of message, so the MTA's timeout restarts.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        var tcp = ListenerOptions.ParseEndPoints(TcpEndPoints, "Milter:TcpEndPoints");
        if (tcp.Count == 0 && string.IsNullOrEmpty(UnixSocketPath))
        {
            throw new ArgumentException("Milter: configure at least one TcpEndPoints entry or a UnixSocketPath.");
        }

        ListenerOptions.ValidatePositive(MaxConnections, "Milter:MaxConnections");
        ListenerOptions.ValidatePositive(IdleTimeout, "Milter:IdleTimeout");
        ListenerOptions.ValidatePositive(PacketTimeout, "Milter:PacketTimeout");
        ListenerOptions.ValidatePositive(ProgressInterval, "Milter:ProgressInterval");
        ListenerOptions.ValidatePositive(MaxMessageSize, "Milter:MaxMessageSize");
        if (MaxPacketDataSize < 65536)
        {
            throw new ArgumentException($"Milter:MaxPacketDataSize must be at least 65536, the body chunk size of Postfix (was {MaxPacketDataSize}).");
        }

        if ((SkippedSteps & ~SkippableSteps) != 0)
        {
            throw new ArgumentException($"Milter:SkippedSteps: only the No* and NoReply* protocol flags may be asked for (was {SkippedSteps}).");
        }

        foreach (var (stage, names) in MacroRequests)
        {
            if (!Enum.IsDefined(stage) || names.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Milter:MacroRequests: stage {stage} or its names '{names}' are invalid.");
            }
        }
    }

    // Skip, RcptRejected and HeaderLeadingSpace change what the MTA sends rather than leave a step out.
    private const MilterProtocolFlags SkippableSteps =
        MilterProtocolFlags.NoConnect | MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoMail | MilterProtocolFlags.NoRcpt
        | MilterProtocolFlags.NoBody | MilterProtocolFlags.NoHeaders | MilterProtocolFlags.NoEndOfHeaders | MilterProtocolFlags.NoUnknown
        | MilterProtocolFlags.NoData | MilterProtocolFlags.NoReplyHeader | MilterProtocolFlags.NoReplyConnect | MilterProtocolFlags.NoReplyHelo
        | MilterProtocolFlags.NoReplyMail | MilterProtocolFlags.NoReplyRcpt | MilterProtocolFlags.NoReplyData | MilterProtocolFlags.NoReplyUnknown
        | MilterProtocolFlags.NoReplyEndOfHeaders | MilterProtocolFlags.NoReplyBody;

    /// <summary>The set-symlist part of the OPTNEG reply: per stage a 32-bit stage number and the names, NUL-terminated.</summary>
    internal byte[] EncodeMacroRequests()
    {
        var bytes = new List<byte>();
        foreach (var (stage, names) in MacroRequests)
        {
            bytes.Add(0);
            bytes.Add(0);
            bytes.Add(0);
            bytes.Add((byte)stage);
            bytes.AddRange(Encoding.UTF8.GetBytes(names.Trim()));
            bytes.Add(0);
        }

        return [.. bytes];
    }
}
