using System.Globalization;
using Floodgate.Core.Accounts;

namespace Floodgate.Core.Policy;

/// <summary>Every text the engine puts in a reply, in one place.</summary>
internal static class PolicyTexts
{
    public static Verdict Suspended(string what, string name, string? reason, string reasonKey, string support) =>
        new(VerdictKind.Reject, 550, "5.7.1",
            $"{what} {name} is suspended{ReasonPart(reason)}. Sending is blocked; contact {support}",
            reasonKey);

    public static Verdict Terminated(string client, string? reason, string support) =>
        new(VerdictKind.Reject, 550, "5.7.1",
            $"Client {client} is terminated from the network{ReasonPart(reason)}. Contact {support}",
            PolicyReasons.ClientTerminated);

    public static Verdict Disabled(string what, string name, string support) =>
        new(VerdictKind.Reject, 550, "5.7.1", $"{what} {name} is disabled. Contact {support}", PolicyReasons.Disabled);

    public static Verdict SenderNotAllowed(string mailbox) =>
        new(VerdictKind.Reject, 553, "5.7.1",
            $"Sender address rejected: not owned by {mailbox}", PolicyReasons.SenderNotAllowed);

    // RFC 5321 4.5.3.1.10: 452 lets the client send the remaining recipients in a new transaction.
    public static Verdict RecipientCap(int cap) =>
        new(VerdictKind.Defer, 452, "4.5.3",
            $"Too many recipients: at most {cap.ToString(CultureInfo.InvariantCulture)} per message; send the rest in a new message",
            PolicyReasons.RecipientCap);

    public static Verdict MessageTooLarge(long limit) =>
        new(VerdictKind.Reject, 552, "5.3.4",
            $"Message size exceeds the plan's limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes",
            PolicyReasons.MessageTooLarge);

    public static Verdict Rate(string scopeName, string what, int used, int limit, string window, DateTimeOffset retryAt) =>
        new(VerdictKind.Defer, 451, "4.7.1",
            string.Create(CultureInfo.InvariantCulture,
                $"Rate limit: {scopeName} has sent {used} {what} in the last {window} (limit {limit}); try again after {retryAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
            PolicyReasons.RateLimit);

    private static string ReasonPart(string? reason) => string.IsNullOrWhiteSpace(reason) ? string.Empty : $" ({reason})";

    public static string Describe(MailboxState m) => m.Address;
}
