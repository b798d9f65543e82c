namespace Floodgate.Storage.Access;

/// <summary>
/// Who may do what on the web side. The enum order means nothing; each policy names the roles it admits
/// (src/Floodgate.Web/Security/AccessPolicies.cs).
/// </summary>
public enum WebRole
{
    /// <summary>Everything, including operator accounts, API keys and plans.</summary>
    Administrator = 1,

    /// <summary>Suspensions, incidents, reinstatement, counters; reads everything.</summary>
    AbuseDesk = 2,

    /// <summary>The call queue; reads everything.</summary>
    Support = 3,

    /// <summary>Reads everything, changes nothing.</summary>
    ReadOnly = 4,

    /// <summary>A client's own administrator: its own client only, in the portal.</summary>
    ClientAdministrator = 5,
}

/// <summary>A person who signs in to the console (an operator) or the portal (a client administrator).</summary>
public sealed class WebUser
{
    public int Id { get; set; }

    /// <summary>Lower-case; unique.</summary>
    public required string Login { get; set; }

    public required string DisplayName { get; set; }

    public WebRole Role { get; set; }

    /// <summary>Set exactly when <see cref="Role"/> is <see cref="WebRole.ClientAdministrator"/>.</summary>
    public int? ClientId { get; set; }

    /// <summary>Argon2id PHC string; never shown, never logged.</summary>
    public required string PasswordHash { get; set; }

    /// <summary>Base32 TOTP secret (RFC 6238) once enabled; null when the account has no second factor.</summary>
    public string? TotpSecret { get; set; }

    /// <summary>Changes with the password, the role, the second factor or a disable: every session signed before is refused.</summary>
    public required string SecurityStamp { get; set; }

    public bool Disabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastLoginAt { get; set; }
}

/// <summary>
/// A machine's credential: <c>fgk_&lt;id&gt;_&lt;secret&gt;</c>. Only the SHA-256 of the 256-bit secret is
/// stored (a random secret needs no slow hash: there is nothing to guess).
/// </summary>
public sealed class ApiKey
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public WebRole Role { get; set; }

    /// <summary>A key of a client administrator's role is scoped to one client.</summary>
    public int? ClientId { get; set; }

    public required byte[] SecretHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public string? LastUsedFrom { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}
