namespace Floodgate.Storage.Accounts;

public enum AccountError
{
    /// <summary>Bad input: a malformed address, phone, CSV line. (HTTP 400.)</summary>
    Invalid = 0,

    /// <summary>The client, domain, mailbox or plan does not exist. (HTTP 404.)</summary>
    NotFound = 1,

    /// <summary>It already exists. (HTTP 409.)</summary>
    Conflict = 2,
}

/// <summary>A change the account store refused; the message is fit to show a person.</summary>
public sealed class AccountException(AccountError error, string message, IReadOnlyList<string>? details = null)
    : Exception(message)
{
    public AccountError Error { get; } = error;

    /// <summary>One line per problem, e.g. "line 7: domain example.org does not exist".</summary>
    public IReadOnlyList<string> Details { get; } = details ?? [];
}
