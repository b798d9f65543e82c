namespace Floodgate.Core.Accounts;

/// <summary>The level an account action applies to: the escalation ladder's three steps.</summary>
public enum AccountScope
{
    Mailbox = 0,
    Domain = 1,
    Client = 2,
}
