namespace Floodgate.Doors.Relay;

public enum StartTlsMode
{
    /// <summary>STARTTLS when the upstream offers it.</summary>
    Opportunistic,
    Required,
    None,
}

public sealed class UpstreamOptions
{
    /// <summary>smtp://host:port (STARTTLS per StartTls) or smtps://host:port (implicit TLS). Null: the outbox folder.</summary>
    public string? Url { get; set; }

    public StartTlsMode StartTls { get; set; } = StartTlsMode.Opportunistic;

    public bool VerifyCertificate { get; set; } = true;

    public string? Username { get; set; }

    /// <summary>Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// True: a message that goes as received, to an upstream offering PIPELINING, is relayed by Floodgate's
    /// pipelined client (two writes per message); false: every message through MailKit, for an upstream
    /// whose pipelining misbehaves.
    /// </summary>
    public bool Pipelining { get; set; } = true;

    public int PoolSize { get; set; } = 64;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
