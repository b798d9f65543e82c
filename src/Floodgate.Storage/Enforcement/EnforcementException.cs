namespace Floodgate.Storage.Enforcement;

/// <summary>The same three kinds as <see cref="Accounts.AccountError"/>, so callers map both alike.</summary>
public enum EnforcementError
{
    /// <summary>Bad input: a missing reason, an incomplete report. (HTTP 400.)</summary>
    Invalid = 0,

    /// <summary>No such incident, contact task or account. (HTTP 404.)</summary>
    NotFound = 1,

    /// <summary>Not allowed in the current state: the incident table refused, already suspended. (HTTP 409.)</summary>
    Conflict = 2,
}

/// <summary>A change the enforcement store refused; the message is fit to show a person.</summary>
public sealed class EnforcementException(EnforcementError error, string message, IReadOnlyList<string>? details = null)
    : Exception(message)
{
    public EnforcementError Error { get; } = error;

    /// <summary>One line per problem, e.g. each missing part of a report.</summary>
    public IReadOnlyList<string> Details { get; } = details ?? [];
}
