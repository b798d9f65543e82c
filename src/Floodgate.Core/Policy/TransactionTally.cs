namespace Floodgate.Core.Policy;

/// <summary>
/// The policy state of one transaction: recipients accepted so far and the window totals read
/// once at MAIL FROM, so that each RCPT is arithmetic, not a store read.
/// </summary>
public struct TransactionTally
{
    public int Recipients;
    public int External;
    public int Internal;
    public WindowTotals Mailbox;
    public WindowTotals Domain;
    public WindowTotals Client;
}
