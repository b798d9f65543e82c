namespace Floodgate.Protocols.DovecotAuth;

/// <summary>The server lines of the Dovecot authentication protocol that a client acts on.</summary>
public enum DovecotAuthLineKind : byte
{
    /// <summary>A command this client has no use for (COOKIE, a newer server's additions): ignored, as the protocol asks.</summary>
    Other,
    Version,
    Mech,
    Spid,
    Cuid,
    Done,
    Ok,
    Fail,
    Cont,
}

/// <summary>One parsed server line. Strings are made only for what a login needs (the user, a failure's reason).</summary>
public readonly record struct DovecotAuthLine(
    DovecotAuthLineKind Kind,
    uint Id = 0,
    string? User = null,
    bool Temporary = false,
    string? Reason = null,
    int MajorVersion = 0,
    bool IsPlain = false);
