namespace Floodgate.Core.Accounts;

/// <summary>
/// Limits of <see cref="LoginThrottle"/>. A client address is an IPv4 address or an IPv6 /64 (one
/// host is given a whole /64, RFC 4291 2.5.4, and rotates privacy addresses within it, RFC 8981).
/// </summary>
public sealed class LoginThrottleOptions
{
    /// <summary>Failed logins from one client address, whatever the login, within <see cref="Window"/>; then that address is refused.</summary>
    public int MaxFailuresPerAddress { get; set; } = 10;

    /// <summary>
    /// Failed logins of one login from one client address within <see cref="Window"/>; then that
    /// login is refused at that address only. Failures elsewhere never lock the owner out: from other
    /// addresses the login is slowed down instead (<see cref="SlowdownAfter"/>).
    /// </summary>
    public int MaxFailuresPerLogin { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Entries kept in memory at most (per address, per login, per login and address), whatever the input.</summary>
    public int MaxTracked { get; set; } = 100_000;

    /// <summary>Failures of one login from all addresses within <see cref="Window"/> before its further attempts wait.</summary>
    public int SlowdownAfter { get; set; } = 5;

    /// <summary>The wait of the first attempt past <see cref="SlowdownAfter"/>; it doubles with each further failure.</summary>
    public TimeSpan SlowdownDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The doubling stops here: a guesser gets one attempt per 16 s per login, about 56 in a 15-minute window.</summary>
    public TimeSpan MaxSlowdownDelay { get; set; } = TimeSpan.FromSeconds(16);

    /// <summary>
    /// An attempt that would wait longer (attempts of one login queue behind each other) is refused
    /// instead: a waiting attempt holds a connection, and 30 s is well within an SMTP client's reply
    /// timeout (RFC 5321 4.5.3.2 allows minutes).
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Addresses remembered per login after a successful login there; they are not slowed down.</summary>
    public int KnownAddressesPerLogin { get; set; } = 8;

    /// <summary>How long an address stays known after its last successful login.</summary>
    public TimeSpan KnownAddressLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Every problem with the settings, each naming the setting; empty when all is well.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (MaxFailuresPerAddress < 1)
        {
            errors.Add("LoginThrottle:MaxFailuresPerAddress: must be at least 1");
        }

        if (MaxFailuresPerLogin < 1)
        {
            errors.Add("LoginThrottle:MaxFailuresPerLogin: must be at least 1");
        }

        if (Window <= TimeSpan.Zero)
        {
            errors.Add("LoginThrottle:Window: must be positive");
        }

        // One attempt touches three entries; fewer could evict an entry the attempt is using.
        if (MaxTracked < 3)
        {
            errors.Add("LoginThrottle:MaxTracked: must be at least 3");
        }

        if (SlowdownAfter < 1)
        {
            errors.Add("LoginThrottle:SlowdownAfter: must be at least 1");
        }

        if (SlowdownDelay <= TimeSpan.Zero || MaxSlowdownDelay < SlowdownDelay || MaxWait < MaxSlowdownDelay)
        {
            errors.Add("LoginThrottle:SlowdownDelay/MaxSlowdownDelay/MaxWait: need 0 < SlowdownDelay <= MaxSlowdownDelay <= MaxWait");
        }

        if (KnownAddressesPerLogin < 0)
        {
            errors.Add("LoginThrottle:KnownAddressesPerLogin: must be zero or more");
        }

        if (KnownAddressLifetime < TimeSpan.Zero)
        {
            errors.Add("LoginThrottle:KnownAddressLifetime: must be zero or more");
        }

        return errors;
    }
}
