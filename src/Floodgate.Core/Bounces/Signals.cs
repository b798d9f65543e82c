using System.Text.RegularExpressions;

namespace Floodgate.Core.Bounces;

/// <summary>
/// What tells a bounce from an auto-reply from ordinary mail when there is no machine-readable report, and
/// where a bounce's own text ends and the returned message begins.
/// </summary>
internal static partial class Signals
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    // These long alternations of phrases run on every diagnostic, so they use the non-backtracking engine: linear
    // in the input by construction (no timeout needed), and measured 5–10x faster here than [GeneratedRegex],
    // whose methods for alternations this size the JIT leaves unoptimised (bench/RESULTS.md, issue 14).
    private const RegexOptions Linear = Options | RegexOptions.NonBacktracking;
    private const int Timeout = 1000;

    // RFC 3834 §5: auto-replies say Auto-Submitted: auto-replied; the rest are de-facto headers of
    // vacation(1), Exchange, Gmail and hosted autoresponders.
    private static readonly Regex AutoReplySubjectPattern = new(@"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response|responder|antwort)|auto:|autoreply|vacation|away from (the|my) office|on vacation|abwesenheit|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|automatisch antwoord|ooo\b|i am (currently )?(out|away))", Linear);

    public static Regex AutoReplySubject() => AutoReplySubjectPattern;

    private static readonly Regex BounceSubjectPattern = new(@"undeliver|undelivered|not delivered|non[- ]?deliver|could not be delivered|couldn't be delivered|delivery (status notification \(fail|fail|has failed|problem|notification|report|error)|returned mail|mail delivery (failed|failure|system|subsystem|error|problem)|failure notice|bounce|rejected|mail system error|permanent (error|failure)|unzustellbar|nicht zustellbar|non remis|no entregado|non recapitato|onbestelbaar|message (not delivered|undeliverable|failure|blocked)|delivery unsuccessful|returned to sender|can't deliver|cannot deliver|ndr\b|failed delivery|delivery (to .{1,80} )?failed|error sending message|mail could not be delivered|address not found|delivery incomplete|mail delivery status|delivery status", Linear);

    public static Regex BounceSubject() => BounceSubjectPattern;

    private static readonly Regex DaemonLocalPartPattern = new(@"^(mailer-daemon|postmaster|mail-daemon|maildaemon|mailerdaemon|mail\.?delivery|mdaemon|nobody|bounce[sd]?|mailadmin|mail-admin|mail\.admin|msexchange|microsoftexchange[\w]*|exchangeadmin|notifications?|ndr)\b", Linear);

    public static Regex DaemonLocalPart() => DaemonLocalPartPattern;

    private static readonly Regex DaemonDisplayNamePattern = new(@"mail delivery (subsystem|system|service)|mailer[- ]daemon|postmaster|mail administrator|delivery (status|subsystem)|microsoft outlook|mail system|bounce", Linear);

    public static Regex DaemonDisplayName() => DaemonDisplayNamePattern;

    /// <summary>
    /// Openings of bounce texts as the MTAs document them: Exim (spec, "Bounce messages"), qmail-send
    /// (qmail-send(8), "Hi. This is the qmail-send program"), Postfix (bounce(5) templates), Sendmail (op guide,
    /// "Transcript of session follows"), Exchange / Office 365 ("NDRs in Exchange Online"), Gmail, Yahoo,
    /// Domino, GroupWise, Courier, MDaemon, MailEnable, Zimbra, Amazon SES, and generic wording.
    /// </summary>
    private static readonly Regex BounceBodyPattern = new(@"this message was created automatically by mail delivery software|could not be delivered to one or more of its recipients|this is the qmail-send program|wasn't able to deliver your message|i'm afraid i wasn't able to deliver|this is the mail system at host|could not be delivered to one or more recipients|the following addresses had (permanent fatal errors|delivery problems)|transcript of session follows|delivery has failed to these recipients or groups|your message (to .{1,100} )?(couldn't|could not|wasn't|was not|can't|cannot) be delivered|remote server returned|delivery to the following recipients? (failed|has been)|the email account that you tried to reach|message wasn't delivered|message was not delivered|sorry, we were unable to deliver your message|unable to deliver (your )?message|was not delivered to|did not reach the following recipient|could not be delivered to the following|delivery to the following (recipient|address)|the following (message|recipients?|addresses?) (could not|cannot|were|was|had|has|failed|did not)|undeliverable (message|mail|recipient)|message could not be delivered|permanent (fatal )?error|delivery (status notification|failure|failed|error|has failed)|mail delivery failed|an error occurred while trying to deliver|returned to sender|not be delivered|failed to deliver|non-?delivery (report|notification)|error (message|report) from|technical details of permanent failure|hard bounce|bounce(d)? (message|mail)|giving up on|remote host said|while talking to|said: [245]\d\d|smtp error from remote mail server", Linear);

    public static Regex BounceBody() => BounceBodyPattern;

    /// <summary>Success and delay notices in text form: they report no failure (RFC 3464 Action delayed/delivered in prose).</summary>
    private static readonly Regex NoFailurePattern = new(@"warning message only|do not need to resend|has not yet been delivered|(not|n't) (yet )?been delivered (yet|after)|will (continue to )?(retry|try|attempt)|will be retried|still (trying|being retried|in the queue)|delivery (is |has been )?delayed|has been delayed|temporary problem delivering|delivery (status notification )?\((delay|success|relayed)\)|successfully delivered|delivery (to .{1,100} )?(succeeded|was successful)|has been (delivered|relayed) to|was delivered to|message delivered|delivered to the following|relayed to non-dsn-aware|delivery report: success|delivery notification: success|return receipt", Linear);

    public static Regex NoFailure() => NoFailurePattern;

    private static readonly Regex FailurePattern = new(@"permanent|fatal|giving up|i've given up|failed permanently|has failed|could not be delivered|couldn't be delivered|wasn't delivered|was not delivered|undeliverable|rejected|does not exist", Linear);

    public static Regex Failure() => FailurePattern;

    /// <summary>Where a bounce's own text ends and the returned message (or its headers) begins.</summary>
    [GeneratedRegex(@"^[ \t]*(?:-{2,}|={2,}|_{2,}|\*{2,})[ \t]*(?:original message|this is a copy|below this line|(the )?original|message (header|headers|text|body) follows?|message follows|headers? follow|unsent message|the body of|a copy of|returned message|forwarded message|undelivered message|included message)|^[ \t]*(?:original message headers:?|(the )?original message (follows|is attached|headers)|below this line is a copy of the message|this is a copy of the message|forwarded message|the text you sent follows|message text follows|unsent message below|included is a copy of the|-+ ?original message ?-+)[ \t]*\.?[ \t]*$|^(?:return-path|received): ", Options | RegexOptions.Multiline, Timeout)]
    public static partial Regex OriginalMessageStart();

    [GeneratedRegex(@"^(to|cc):[ \t]*(?<value>.+)$", Options | RegexOptions.Multiline, Timeout)]
    public static partial Regex OriginalToHeader();
}
