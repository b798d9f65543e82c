namespace Floodgate.Core.Accounts;

public enum LoginDecision
{
    /// <summary>Check the password now.</summary>
    Allowed,

    /// <summary>Wait <see cref="LoginAttempt.Delay"/>, then check the password.</summary>
    Delayed,

    /// <summary>Do not check the password; the attempt fails as throttled.</summary>
    Refused,

    /// <summary>
    /// Not counted yet: attempts of this login or address still running could fill its budget.
    /// Begin again once one of them has ended (a correct password refunds its place); many parallel
    /// sessions of an owner wait a moment, parallel guesses never pass the limit.
    /// </summary>
    Busy,
}

/// <summary>Which rule of the throttle refused an attempt.</summary>
public enum LoginRefusal
{
    None,

    /// <summary>Too many failures of this login from this client address.</summary>
    LoginAtAddress,

    /// <summary>Too many failures from this client address, whatever the login.</summary>
    Address,

    /// <summary>The login fails from many addresses: this attempt would have waited longer than the throttle's bound.</summary>
    LoginSlowedDown,
}

/// <summary>
/// One login attempt as <see cref="LoginThrottle.Begin"/> counted it. An allowed or delayed attempt
/// already counts as a failure; hand it back to <see cref="LoginThrottle.End"/> once, when the
/// password has been checked, so a success is refunded. An attempt never ended stays a failure.
/// </summary>
public readonly struct LoginAttempt
{
    private LoginAttempt(LoginDecision decision, TimeSpan delay, LoginRefusal refusal, DateTimeOffset? retryAfter, string? login, UInt128 address, long startedTicks)
    {
        Decision = decision;
        Delay = delay;
        Refusal = refusal;
        RetryAfter = retryAfter;
        Login = login;
        Address = address;
        StartedTicks = startedTicks;
    }

    public LoginDecision Decision { get; }

    /// <summary>How long to wait before checking the password; zero unless <see cref="LoginDecision.Delayed"/>.</summary>
    public TimeSpan Delay { get; }

    public LoginRefusal Refusal { get; }

    /// <summary>
    /// For a refusal: when the rule that refused would let an attempt through, as far as the
    /// throttle knows now (attempts still running may succeed and free a place sooner).
    /// </summary>
    public DateTimeOffset? RetryAfter { get; }

    internal string? Login { get; }

    internal UInt128 Address { get; }

    internal long StartedTicks { get; }

    internal static LoginAttempt Counted(string login, UInt128 address, long startedTicks, TimeSpan delay) =>
        new(delay > TimeSpan.Zero ? LoginDecision.Delayed : LoginDecision.Allowed, delay, LoginRefusal.None, null, login, address, startedTicks);

    internal static LoginAttempt Refused(LoginRefusal refusal, DateTimeOffset retryAfter) =>
        new(LoginDecision.Refused, TimeSpan.Zero, refusal, retryAfter, null, default, 0);

    internal static LoginAttempt Busy(LoginRefusal rule) => new(LoginDecision.Busy, TimeSpan.Zero, rule, null, null, default, 0);
}
