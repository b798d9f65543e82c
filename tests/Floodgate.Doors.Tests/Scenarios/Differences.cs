namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// Every way the doors genuinely differ, as data: each names the doors it applies to, says why, and
/// changes the scenario's expectation for them only. A scenario lists the ones it meets.
/// </summary>
public static class Differences
{
    private static readonly DoorKind[] PolicyDoors = [DoorKind.Policy, DoorKind.PolicyAndMilter];
    private static readonly DoorKind[] MilterDoors = [DoorKind.Milter, DoorKind.PolicyAndMilter, DoorKind.MilterWithPolicyDown];

    /// <summary>A refusal of the sender comes at the first RCPT (and at every RCPT of the message) instead of MAIL.</summary>
    public static readonly Difference PolicyHasNoMailStage = new(
        nameof(PolicyHasNoMailStage),
        "Postfix asks the policy service at RCPT and END-OF-MESSAGE (the README's main.cf): the door begins the " +
        "transaction at the first RCPT, so a sender it refuses is refused there, and at every RCPT after it. " +
        "Beside it the milter's own MAIL answer is not waited for (SMFIP_NR_MAIL).",
        PolicyDoors)
    {
        Verdict = static e => e.Stage == Stage.Mail ? e with { Stage = Stage.Rcpt, Recipient = 1 } : e,
    };

    /// <summary>The gateway refuses mail without AUTH (530 at MAIL) that the Postfix doors let Postfix decide.</summary>
    public static readonly Difference GatewayRequiresAuth = new(
        nameof(GatewayRequiresAuth),
        "The gateway is the submission service: no relay without AUTH, ever (trusted networks aside), so MAIL gets " +
        "530 5.7.0. Behind Postfix the same mail is not the provider's outbound mail (inbound mail, relays): the " +
        "doors have no opinion (DUNNO, SMFIR_ACCEPT) and count nothing; Postfix's own restrictions decide.",
        [DoorKind.Gateway])
    {
        Verdict = static _ => Expected.RefusedAtMail("530 5.7.0", "Authentication required"),
    };

    /// <summary>The gateway checks the login itself: one without a mailbox fails AUTH (535) rather than MAIL or RCPT (451).</summary>
    public static readonly Difference GatewayAuthenticatesItself = new(
        nameof(GatewayAuthenticatesItself),
        "The gateway checks the password itself, and a login that names no mailbox fails AUTH with 535 5.7.8, as a " +
        "wrong password does (the answer does not tell which logins exist). Behind Postfix the login was accepted " +
        "by Postfix's SASL (Dovecot) before a door saw it: the doors defer it (451 4.7.1) so that it is noticed and " +
        "provisioned, never passed.",
        [DoorKind.Gateway])
    {
        Verdict = static _ => new Expected(Stage.Auth, 0, "535 5.7.8", "Authentication credentials invalid", 0, 0),
    };

    /// <summary>The gateway sees a suspension made after the recipients at the DATA command, before the content.</summary>
    public static readonly Difference GatewayChecksAtData = new(
        nameof(GatewayChecksAtData),
        "The gateway answers DATA itself and checks the status there, before the client sends the content. " +
        "Postfix asks its doors nothing at DATA (no check_policy_service in smtpd_data_restrictions; the milter " +
        "left DATA out, SMFIP_NODATA): they see it at the end of the message.",
        [DoorKind.Gateway])
    {
        Verdict = static e => e.Stage == Stage.EndOfData ? e with { Stage = Stage.Data } : e,
    };

    /// <summary>The milter beside a policy door that is down refuses the sender at the end of the message, once Postfix has accepted every recipient.</summary>
    public static Difference MilterBesidePolicyRefusesAtTheEnd(int recipients) => new(
        nameof(MilterBesidePolicyRefusesAtTheEnd),
        "Beside the policy door the milter asked Postfix not to wait for its MAIL and RCPT replies (SMFIP_NR_MAIL, " +
        "SMFIP_NR_RCPT): with the policy service down and DUNNO as its default action, Postfix accepts every recipient, " +
        "and the refusal the milter found at MAIL is given at the end of the message. Nothing is sent.",
        [DoorKind.MilterWithPolicyDown])
    {
        Verdict = e => e.Stage == Stage.Mail ? e with { Stage = Stage.EndOfData, Accepted = recipients } : e,
    };

    /// <summary>With the policy door down nothing counts: the milter beside it only inspects.</summary>
    public static readonly Difference PolicyDownCountsNothing = new(
        nameof(PolicyDownCountsNothing),
        "The policy door is the one that counts (Milter:CountInWindows is false beside it, so one message never counts " +
        "twice); with it down, the messages that pass leave the windows empty. The fail-open setting trades this for delivery.",
        [DoorKind.MilterWithPolicyDown])
    {
        WindowsAfter = Windows.Empty,
    };

    /// <summary>A held message goes to Postfix's hold queue instead of a 451.</summary>
    public static readonly Difference MilterHoldsInTheQueue = new(
        nameof(MilterHoldsInTheQueue),
        "Milter:HoldAction is quarantine by default: Postfix puts a held message in its hold queue, where the abuse " +
        "desk releases or deletes it, and the client gets 250; the gateway has no queue and defers it (451 4.7.1), " +
        "so the client keeps it.",
        MilterDoors)
    {
        Verdict = static e => e.Reply == "451 4.7.1" && e.Stage == Stage.EndOfData ? e with { Reply = "hold" } : e,
    };

    /// <summary>Beside the milter, the policy door has counted the copies the milter then holds or refuses.</summary>
    public static Difference PolicyCountsBeforeTheMilter(Windows windows) => new(
        nameof(PolicyCountsBeforeTheMilter),
        "Postfix evaluates smtpd_end_of_data_restrictions before the milter's end of message, and the policy door " +
        "counts the message there: a copy the milter then holds or refuses has counted too. The windows err on the " +
        "sender's side (README, 'One message, counted once').",
        [DoorKind.PolicyAndMilter])
    {
        WindowsAfter = windows,
    };

    /// <summary>The policy door never hears of RSET: the recipients it reserved are counted when the transaction expires.</summary>
    public static Difference PolicyHearsNoReset(Windows windows) => new(
        nameof(PolicyHearsNoReset),
        "Postfix tells a policy service nothing of RSET (there is no such protocol_state). The door keeps the " +
        "reservation until PolicyDelegation:TransactionTimeout and then counts it as relayed, because Postfix never " +
        "says that a message was not sent; the milter's ABORT releases only its own, uncounted transaction.",
        PolicyDoors)
    {
        WindowsAfter = windows,
    };
}
