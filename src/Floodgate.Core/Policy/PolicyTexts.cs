using System.Globalization;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;

namespace Floodgate.Core.Policy;

/// <summary>Every text the engine puts in a reply, in one place.</summary>
public static class PolicyTexts
{
    public static Verdict Suspended(string what, string name, string? reason, string reasonKey, string support) =>
        new(Outcome.Rejected, 550, "5.7.1",
            $"{what} {name} is suspended{ReasonPart(reason)}. Sending is blocked; contact {support}",
            reasonKey);

    public static Verdict Terminated(string client, string? reason, string support) =>
        new(Outcome.Rejected, 550, "5.7.1",
            $"Client {client} is terminated from the network{ReasonPart(reason)}. Contact {support}",
            PolicyReasons.ClientTerminated);

    public static Verdict Disabled(string what, string name, string support) =>
        new(Outcome.Rejected, 550, "5.7.1", $"{what} {name} is disabled. Contact {support}", PolicyReasons.Disabled);

    /// <summary>
    /// RFC 4954 6: 530 is for a command that needs authentication "not currently in force". The login
    /// of this session was revoked by a new password; RFC 4954 4 forbids a second AUTH on the same
    /// connection, so the client must reconnect (and then meets 535 with the old password).
    /// </summary>
    public static readonly Verdict CredentialsRevoked = new(Outcome.Rejected, 530, "5.7.0",
        "Authentication required: the password of this mailbox was changed after this session logged in; reconnect and authenticate with the new password",
        PolicyReasons.CredentialsRevoked);

    public static Verdict SenderNotAllowed(string mailbox) =>
        new(Outcome.Rejected, 553, "5.7.1",
            $"Sender address rejected: not owned by {mailbox}", PolicyReasons.SenderNotAllowed);

    // RFC 5321 4.5.3.1.10: 452 lets the client send the remaining recipients in a new transaction.
    public static Verdict RecipientCap(int cap) =>
        new(Outcome.Deferred, 452, "4.5.3",
            $"Too many recipients: at most {cap.ToString(CultureInfo.InvariantCulture)} per message; send the rest in a new message",
            PolicyReasons.RecipientCap);

    public static Verdict MessageTooLarge(long limit) =>
        new(Outcome.Rejected, 552, "5.3.4",
            $"Message size exceeds the plan's limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes",
            PolicyReasons.MessageTooLarge);

    public static Verdict Rate(string scopeName, string what, int used, int limit, string window, DateTimeOffset retryAt) =>
        new(Outcome.Deferred, 451, "4.7.1",
            string.Create(CultureInfo.InvariantCulture,
                $"Rate limit: {scopeName} has sent {used} {what} in the last {window} (limit {limit}); try again after {retryAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
            PolicyReasons.RateLimit);

    /// <summary>
    /// The shared counter store cannot be reached and this scope's rule is to refuse rather than guess:
    /// RFC 3463 4.3.0, a transient system condition; the client keeps the message and retries.
    /// </summary>
    public static readonly Verdict StateUnavailable = new(Outcome.Deferred, 451, "4.3.0",
        "Temporary policy failure: the sending limits cannot be checked right now; try again later",
        PolicyReasons.StateUnavailable);

    /// <summary>The session ended while the counter store answered; nothing is held.</summary>
    public static readonly Verdict TransactionEnded = new(Outcome.Deferred, 451, "4.3.0",
        "Temporary failure: the transaction ended; start again", PolicyReasons.StateUnavailable);

    /// <summary>A login that authenticated (at Postfix) but names no mailbox of Floodgate's.</summary>
    public static Verdict UnknownLoginDeferred(string login, string support) =>
        new(Outcome.Deferred, 451, "4.7.1",
            $"Login {login} is not provisioned for outbound mail; try again later or contact {support}",
            PolicyReasons.UnknownLogin);

    public static Verdict UnknownLoginRejected(string login, string support) =>
        new(Outcome.Rejected, 550, "5.7.1",
            $"Login {login} is not provisioned for outbound mail; contact {support}",
            PolicyReasons.UnknownLogin);

    public static Verdict Held(DetectionResult result, string listService)
    {
        var concern = Concern(result);
        if (concern == Compromised)
        {
            // Signs of a stolen password, not of a mailing: the owner's fix is a new password, not the list service.
            return new Verdict(Outcome.Held, 451, "4.7.1", string.Create(CultureInfo.InvariantCulture,
                $"Message held: this account shows signs of being used by someone else ({Rules(result)}). Nothing was sent. If you did not send it, change your password; the abuse desk has been told."),
                PolicyReasons.Held);
        }

        if (concern != MassMailing)
        {
            // A hold for what the world said back (complaints, bounces) is not about this message's
            // content: saying "mass mailing" would send the sender looking in the wrong place.
            return new Verdict(Outcome.Held, 451, "4.7.1",
                $"Message held: the mailbox's recent mail shows {concern} ({EnforcementService.Summary(result)}). Nothing was sent. The abuse desk has been told and will review the mailbox.",
                PolicyReasons.Held);
        }

        var copies = result.Evidence.Count + 1;
        var external = 0;
        foreach (var e in result.Evidence)
        {
            external += e.External;
        }

        return new Verdict(Outcome.Held, 451, "4.7.1", string.Create(CultureInfo.InvariantCulture,
            $"Message held: it looks like a mass mailing ({copies} similar messages to {external} external recipients so far). Nothing was sent; do not send it again. Bulk mail must go through {listService} (opt-in members, an unsubscribe link). The abuse desk has been told."),
            PolicyReasons.Held);
    }

    public const string MassMailing = "mass mailing";

    public const string Compromised = "signs of a compromised account";

    /// <summary>
    /// What the detector's decision rests on, in the sender's words: the enforced signal that scores
    /// most names it. A run of the same e-mail (or any content signal) is a mass mailing; the
    /// reputation sources name their own concern.
    /// </summary>
    public static string Concern(DetectionResult result)
    {
        Signal? strongest = null;
        foreach (var s in result.Signals)
        {
            if (s.Mode == RuleMode.Enforce && s.Score > 0 && (strongest is null || s.Score > strongest.Score))
            {
                strongest = s;
            }
        }

        return strongest?.Rule switch
        {
            "complaints" => "spam complaints",
            "reputation" => "bounces",
            { } rule when CompromiseWatch.IsRule(rule) => Compromised,
            _ => MassMailing,
        };
    }

    private static string Rules(DetectionResult result)
    {
        var rules = new List<string>(3);
        foreach (var s in result.Signals)
        {
            if (s.Mode == RuleMode.Enforce && CompromiseWatch.IsRule(s.Rule) && !rules.Contains(s.Rule))
            {
                rules.Add(s.Rule);
            }
        }

        return string.Join(", ", rules);
    }

    /// <summary>
    /// RFC 3463 3.8: X.7.1 "Delivery not authorized, message refused" is the code for a message the
    /// sender's own policy does not let through; 5xx because sending it again unchanged cannot succeed
    /// (RFC 5321 4.2.1): it needs a List-Unsubscribe or the list service.
    /// </summary>
    public static Verdict BulkWithoutOptOut(string why, bool brokenUnsubscribe, string listService) =>
        new(Outcome.Rejected, 550, "5.7.1",
            $"Message refused: it looks like bulk mail ({why}), but {(brokenUnsubscribe ? "its List-Unsubscribe holds no working URI" : "it has no List-Unsubscribe")}. A mailing must carry a working List-Unsubscribe (<https://...> or <mailto:...>, RFC 2369) or go through {listService}",
            PolicyReasons.BulkWithoutOptOut);

    public static Verdict Offense(string concern, string signals, string target, LadderStep step, string support) =>
        new(Outcome.Rejected, 550, "5.7.1",
            $"Message refused: {concern} detected ({signals}); {target} ({Ladder.Describe(step)}). Your primary contact will be called; contact {support}",
            PolicyReasons.Offense);

    public static Verdict OffenseWithoutEnforcement(string support) =>
        new(Outcome.Rejected, 550, "5.7.1", $"Message refused: mass mailing detected. Contact {support}", PolicyReasons.Offense);

    /// <summary>The reason a suspension by the detector carries, shown to the sender at every later refusal.</summary>
    public static string OffenseReason(string concern, DateTimeOffset at, LadderStep step) =>
        string.Create(CultureInfo.InvariantCulture, $"{concern} detected {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {Ladder.Describe(step)}");

    private static string ReasonPart(string? reason) => string.IsNullOrWhiteSpace(reason) ? string.Empty : $" ({reason})";
}
