using System.Text.RegularExpressions;

namespace Floodgate.Core.Bounces;

/// <summary>
/// Classifies one failed recipient from its diagnostic text and its enhanced status code. The text wins:
/// receivers reuse codes loosely (a "5.1.1 too many recipients this hour" is a rate limit, not an unknown
/// user), so a decisive phrase is looked for first, then the code, then the weak phrases.
/// </summary>
internal static class ReasonTable
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    // These long alternations of phrases run on every diagnostic, so they use the non-backtracking engine: linear
    // in the input by construction (no timeout needed), and measured 5–10x faster here than [GeneratedRegex],
    // whose methods for alternations this size the JIT leaves unoptimised (bench/RESULTS.md, issue 14).
    private const RegexOptions Linear = Options | RegexOptions.NonBacktracking;


    /// <summary>
    /// Decisive phrases, tried in this order; the first reason that matches wins. The order resolves overlaps:
    /// authentication (SPF/DKIM/DMARC) and reverse-DNS refusals often also say "policy" or "blocked"; a sender
    /// refusal ("Sender address rejected: Domain not found") must not read as an unknown host; a mailbox
    /// "over quota" or a rate "per hour" outranks the user/size words around it. The phrases are the ones the
    /// MTAs document (Postfix bounce(5) and its table lookups, Exim's spec "Bounce messages", qmail-send's
    /// messages, Sendmail's op guide, Microsoft's "NDRs in Exchange Online", Google's "SMTP error reference",
    /// Yahoo's "SMTP error codes", Amazon SES's "Bounce types") in their own wording, generalised.
    /// </summary>
    private static readonly (BounceReason Reason, Func<Regex> Pattern)[] Decisive =
    [
        (BounceReason.Suppressed, Suppressed),
        (BounceReason.VirusDetected, VirusDetected),
        (BounceReason.AuthFailure, AuthFailure),
        (BounceReason.RequirePtr, RequirePtr),
        (BounceReason.BadReputation, BadReputation),
        (BounceReason.NoRelaying, NoRelaying),
        (BounceReason.Speeding, Speeding),
        (BounceReason.TooManyConn, TooManyConn),
        (BounceReason.Rejected, SenderRejected),
        (BounceReason.MailboxFull, MailboxFull),
        (BounceReason.SystemFull, SystemFull),
        (BounceReason.HasMoved, HasMoved),
        (BounceReason.Suspend, Suspend),
        (BounceReason.NotAccept, NotAccept),
        (BounceReason.HostUnknown, HostUnknown),
        (BounceReason.UserUnknown, UserUnknown),
        (BounceReason.ExceedLimit, ExceedLimit),
        (BounceReason.MesgTooBig, MesgTooBig),
        (BounceReason.Blocked, Listed),
        (BounceReason.SpamDetected, SpamDetected),
        (BounceReason.Blocked, Blocked),
        (BounceReason.NotCompliantRfc, NotCompliantRfc),
        (BounceReason.ContentError, ContentError),
        (BounceReason.FailedStartTls, FailedStartTls),
        (BounceReason.SecurityError, SecurityError),
        (BounceReason.SyntaxError, SyntaxError),
        (BounceReason.Filtered, Filtered),
        (BounceReason.PolicyViolation, PolicyViolation),
        (BounceReason.Expired, Expired),
        (BounceReason.MailerError, MailerError),
        (BounceReason.NetworkError, NetworkError),
        (BounceReason.SystemError, SystemError),
    ];

    /// <summary>Phrases too vague to overrule a status code, used only when the code says nothing specific.</summary>
    private static readonly (BounceReason Reason, Func<Regex> Pattern)[] Weak =
    [
        (BounceReason.UserUnknown, WeakUserUnknown),
        (BounceReason.Rejected, WeakRejected),
    ];

    public static BounceReason Classify(ReadOnlySpan<char> diagnostic, ReadOnlySpan<char> status, int replyCode)
    {
        if (!diagnostic.IsEmpty)
        {
            foreach (var (reason, pattern) in Decisive)
            {
                if (pattern().IsMatch(diagnostic))
                    return reason;
            }
        }

        var byCode = FromStatus(status);
        if (byCode is BounceReason.Undefined && replyCode != 0)
            byCode = FromReplyCode(replyCode);
        if (byCode is not BounceReason.Undefined)
            return byCode;

        if (!diagnostic.IsEmpty)
        {
            foreach (var (reason, pattern) in Weak)
            {
                if (pattern().IsMatch(diagnostic))
                    return reason;
            }

            return BounceReason.Undefined;
        }

        // Nothing to go on at all: Sisimai's "onhold", the reason could not be decided for lack of information.
        return status.IsEmpty && replyCode == 0 ? BounceReason.OnHold : BounceReason.Undefined;
    }

    /// <summary>
    /// Enhanced status code (class.subject.detail) to reason. Sources: RFC 3463 §3 (subjects 1–7), RFC 5248's
    /// registry additions (X.7.13 disabled account, X.7.17/X.7.18 owner changed), RFC 7372 (X.7.20–X.7.25 DKIM,
    /// SPF, reverse DNS), RFC 7505 (X.1.10 null MX, X.7.27 sender null MX), RFC 8301/7293 (X.7.26, X.7.29 ARC),
    /// RFC 8689 (X.7.30 REQUIRETLS). Where the RFC's meaning and Sisimai's name differ, the RFC's wording decides:
    /// X.2.3 is a per-mailbox length limit below the system's ("exceeds administrative limit": exceedlimit),
    /// X.3.4 the system's own ("too big for system": mesgtoobig). X.7.1 ("delivery not authorized, message
    /// refused") is any refusal on security or policy grounds; its text decides between blocked, policy, spam
    /// and the rest, and alone it is securityerror. X.Y.0 ("other") says nothing specific: undefined.
    /// </summary>
    public static BounceReason FromStatus(ReadOnlySpan<char> status)
    {
        if (!TrySplit(status, out var cls, out var subject, out var detail) || cls == 2)
            return BounceReason.Undefined;

        return (subject, detail) switch
        {
            (1, 1) => BounceReason.UserUnknown,     // bad destination mailbox address
            (1, 2) => BounceReason.HostUnknown,     // bad destination system address
            (1, 3) => BounceReason.UserUnknown,     // bad destination mailbox address syntax
            (1, 4) => BounceReason.UserUnknown,     // destination mailbox address ambiguous
            (1, 6) => BounceReason.HasMoved,        // destination mailbox has moved, no forwarding address
            (1, 7) or (1, 8) => BounceReason.Rejected, // bad sender's mailbox address (syntax) / system address
            (1, 10) => BounceReason.NotAccept,      // RFC 7505: recipient address has null MX
            (2, 1) => BounceReason.Suspend,         // mailbox disabled, not accepting messages
            (2, 2) => BounceReason.MailboxFull,     // mailbox full
            (2, 3) => BounceReason.ExceedLimit,     // message length exceeds (per-mailbox) administrative limit
            (2, 4) => BounceReason.SystemError,     // mailing list expansion problem
            (3, 1) => BounceReason.SystemFull,      // mail system full
            (3, 2) => BounceReason.NotAccept,       // system not accepting network messages
            (3, 3) or (3, 5) => BounceReason.SystemError, // not capable of selected features / incorrectly configured
            (3, 4) => BounceReason.MesgTooBig,      // message too big for system
            (4, 1) or (4, 2) => BounceReason.NetworkError, // no answer from host / bad connection
            (4, 3) => BounceReason.SystemError,     // directory server failure
            (4, 4) => cls == 5 ? BounceReason.HostUnknown : BounceReason.NetworkError, // unable to route
            (4, 5) => BounceReason.TooManyConn,     // mail system congestion
            (4, 6) => BounceReason.NetworkError,    // routing loop detected
            (4, 7) => BounceReason.Expired,         // delivery time expired
            (5, 3) => BounceReason.ExceedLimit,     // too many recipients
            (5, _) when detail != 0 => BounceReason.SyntaxError, // invalid command, syntax error, wrong protocol version...
            (6, _) when detail != 0 => BounceReason.ContentError, // media not supported, conversion...
            (7, 1) => BounceReason.SecurityError,   // delivery not authorized, message refused
            (7, 2) => BounceReason.PolicyViolation, // mailing list expansion prohibited
            (7, 13) => BounceReason.Suspend,        // RFC 5248: user account disabled
            (7, 16) => BounceReason.MesgTooBig,     // message too big for the specified priority
            (7, 17) or (7, 18) => BounceReason.HasMoved, // mailbox / domain owner has changed
            (7, >= 20 and <= 24) or (7, 26) or (7, 29) => BounceReason.AuthFailure, // DKIM, SPF, multiple checks, ARC
            (7, 25) => BounceReason.RequirePtr,     // RFC 7372: reverse DNS validation failed
            (7, 27) => BounceReason.Rejected,       // RFC 7505: sender address has null MX
            (7, 10) or (7, 30) => BounceReason.FailedStartTls, // encryption needed / REQUIRETLS support required
            (7, _) when detail != 0 => BounceReason.SecurityError, // security conversion, crypto, auth mechanisms
            _ => BounceReason.Undefined,
        };
    }

    /// <summary>RFC 5321 §4.2.3 reply codes that name a reason by themselves (used when there is no enhanced code).</summary>
    private static BounceReason FromReplyCode(int code) => code switch
    {
        552 => BounceReason.MailboxFull,   // "Requested mail action aborted: exceeded storage allocation"
        452 => BounceReason.SystemFull,    // "Requested action not taken: insufficient system storage"
        421 => BounceReason.TooManyConn,   // "Service not available, closing transmission channel" (load)
        551 => BounceReason.HasMoved,      // "User not local; please try <forward-path>"
        553 => BounceReason.UserUnknown,   // "Requested action not taken: mailbox name not allowed"
        556 => BounceReason.NotAccept,     // RFC 7504: domain does not accept mail
        _ => BounceReason.Undefined,
    };

    /// <summary>The status to report when a bounce gives none: the code whose RFC meaning is the reason.</summary>
    public static string InferStatus(BounceReason reason, int replyCode, bool temporary)
    {
        var cls = replyCode is >= 400 and < 500 || (replyCode == 0 && temporary) ? '4' : '5';
        var rest = reason switch
        {
            BounceReason.UserUnknown => ".1.1",
            BounceReason.HostUnknown => ".1.2",
            BounceReason.HasMoved => ".1.6",
            BounceReason.NotAccept => ".1.10",
            BounceReason.Rejected => ".1.8",
            BounceReason.Suspend => ".2.1",
            BounceReason.MailboxFull => ".2.2",
            BounceReason.ExceedLimit => ".2.3",
            BounceReason.SystemFull => ".3.1",
            BounceReason.MesgTooBig => ".3.4",
            BounceReason.SystemError or BounceReason.MailerError => ".3.0",
            BounceReason.NetworkError => ".4.0",
            BounceReason.TooManyConn => ".4.5",
            BounceReason.Expired => ".4.7",
            BounceReason.SyntaxError => ".5.2",
            BounceReason.ContentError or BounceReason.NotCompliantRfc => ".6.0",
            BounceReason.AuthFailure => ".7.26",
            BounceReason.RequirePtr => ".7.25",
            BounceReason.FailedStartTls => ".7.10",
            BounceReason.Blocked or BounceReason.BadReputation or BounceReason.NoRelaying or BounceReason.SpamDetected
                or BounceReason.VirusDetected or BounceReason.Filtered or BounceReason.Speeding => ".7.1",
            BounceReason.SecurityError or BounceReason.PolicyViolation => ".7.0",
            _ => ".0.0",
        };
        return cls + rest;
    }

    public static bool TrySplit(ReadOnlySpan<char> status, out int cls, out int subject, out int detail)
    {
        cls = subject = detail = 0;
        var first = status.IndexOf('.');
        if (first != 1 || status[0] is not ('2' or '4' or '5'))
            return false;
        var rest = status[2..];
        var second = rest.IndexOf('.');
        return second > 0
            && int.TryParse(rest[..second], out subject)
            && int.TryParse(rest[(second + 1)..], out detail)
            && (cls = status[0] - '0') > 0;
    }

    private static readonly Regex SuppressedPattern = new(@"suppress(ed|ion list)|on (the|our|an?) (account-level |global )?suppression", Linear);

    private static Regex Suppressed() => SuppressedPattern;

    private static readonly Regex VirusDetectedPattern = new(@"\bvirus|malware|\binfected\b|trojan|\bworm\b|phishing attachment|dangerous attachment|malicious (content|attachment|payload)", Linear);

    private static Regex VirusDetected() => VirusDetectedPattern;

    private static readonly Regex AuthFailurePattern = new(@"\bspf\b|sender policy framework|\bdkim\b|domainkeys|\bdmarc\b|\barc (validation|signature)|unauthenticated (e-?mail|message|sender)|(message|mail) (does not|doesn't|did not|failed to) (pass|meet) (the )?(required )?authentication|not authorized to send on behalf|(sender|domain) authentication (failed|failure)|authentication checks? (failed|did not pass)|5\.7\.(2[0-4]|26)\b", Linear);

    private static Regex AuthFailure() => AuthFailurePattern;

    private static readonly Regex RequirePtrPattern = new(@"reverse (dns|lookup|look-up|hostname|name|mapping|resolution)|\bptr\b|\brdns\b|cannot find your (hostname|host name|reverse)|(client|your) host ?name (does not|doesn't) (resolve|match)|(hostname|host name) (does not|doesn't) match (your )?(ip|address)|no (dns )?(ptr|reverse)|5\.7\.25\b", Linear);

    private static Regex RequirePtr() => RequirePtrPattern;

    private static readonly Regex BadReputationPattern = new(@"reputation|sender ?score|senderbase|(low|poor|bad) (sender )?(ip )?(standing|rating)|5\.7\.1 .{0,40}\b(ts0[1-4]|dnsbl:rbl)", Linear);

    private static Regex BadReputation() => BadReputationPattern;

    private static readonly Regex NoRelayingPattern = new(@"relay(ing)? (access )?(is )?(denied|not (permitted|allowed|authorized))|(not|unable|refus\w*) (permitted |allowed |authori[sz]ed )?to relay|relaying (mail )?(to .{1,80} )?(is )?(not (allowed|permitted)|denied|prohibited)|we do not relay|no relaying|not a gateway|relay not (permitted|allowed)|cannot relay|open relay|no such (domain|user) here, (and )?relaying", Linear);

    private static Regex NoRelaying() => NoRelayingPattern;

    private static readonly Regex SpeedingPattern = new(@"rate.{0,3}limit|rate of (incoming |inbound )?(mail|messages|e-?mail)|(receiving|sending|sent) (mail|messages|e-?mail)s? (at|too) (a rate|fast|quickly)|too many (messages|mails|e-?mails|recipients|deliveries|attempts)( .{0,40})? (in|per|this|last|within) .{0,20}(second|minute|hour|day|period|time)|(hourly|daily|per.hour|per.day) (sending |recipient |message )?(limit|quota|rate)|(limit|quota) (of|for) .{0,30}(per|an|a|each) (hour|day|minute)|throttl|try again (slower|later, slower)|slow down|too fast|temporarily deferred due to (user|unexpected) (complaints|volume)|4\.7\.28\b|(message|mail) flood", Linear);

    private static Regex Speeding() => SpeedingPattern;

    private static readonly Regex TooManyConnPattern = new(@"too many (concurrent |simultaneous |open |parallel )?(connections|sessions|smtp sessions)|(connection|session) (count |rate )?limit|too many connections from|maximum (number of )?(concurrent )?connections|connection refused,? too many", Linear);

    private static Regex TooManyConn() => TooManyConnPattern;

    private static readonly Regex SenderRejectedPattern = new(@"sender (address |domain |e-?mail )?(is )?(rejected|refused|denied|blocked|blacklisted|invalid|unknown|not allowed|verify failed|verification failed)|(domain|address) of sender (address )?.{0,80}(does not|doesn't|did not) (exist|resolve)|sender (address )?verif\w* (failed|failure)|(unknown|invalid|bad|unverified|unroutable|unresolvable) (sender|envelope sender|mail from|return path)|mail from .{0,80}(rejected|refused|not accepted)|envelope sender .{0,60}(rejected|refused|not allowed|invalid)|sender .{0,40}(has|is) null mx|return.path .{0,40}(invalid|rejected)|banned sender|sender not (allowed|permitted|authorized)|rejected due to (the )?(envelope )?sender", Linear);

    private static Regex SenderRejected() => SenderRejectedPattern;

    private static readonly Regex MailboxFullPattern = new(@"(mail ?box|mail ?folder|inbox|account|mail store|user|recipient|storage) (is |has |was )?(full|over ?(the )?quota|overquota|exceeded|out of (space|storage))|over ?quota|quota (exceeded|exceed|full|reached|limit)|exceeded (the )?(storage|quota|mailbox)|(mailbox|disk) quota|(mailbox|account|inbox) (size )?(limit|storage) (has been )?(exceeded|reached)|(mailbox|inbox) (would )?exceed|full mail ?box|mail ?box full|(insufficient|not enough) (free )?(space|storage) (in|on|for) (the )?(user|mailbox|recipient|account)|exceeded storage allocation|storage allocation exceeded|user has (too many|no space)|mailbox has (exceeded|reached)|postfach (ist )?voll|speicherplatz|bo[iî]te (aux lettres )?(est )?pleine|buz[oó]n (est[áa] )?lleno|casella (di posta )?piena|mailbox (is )?(vol|pleine)|quota usage", Linear);

    private static Regex MailboxFull() => MailboxFullPattern;

    private static readonly Regex SystemFullPattern = new(@"insufficient (system )?(storage|disk space)|(system|disk|server|mail system|file ?system) (storage |is )?(is )?full|out of (disk|storage) space|no space left|disk (space )?(full|exhausted)|not enough (disk )?space on", Linear);

    private static Regex SystemFull() => SystemFullPattern;

    private static readonly Regex HasMovedPattern = new(@"has (been )?moved|(address|mailbox|user) (has )?changed|new (e-?mail )?address is|has been replaced by|no forwarding address|moved (permanently )?to|please (use|update to|send to) (the |my |his |her |their )?new", Linear);

    private static Regex HasMoved() => HasMovedPattern;

    private static readonly Regex SuspendPattern = new(@"(account|mail ?box|user|recipient|address) (has been |is |was )?(temporarily |currently |permanently )?(disabled|suspended|deactivated|inactive|locked|frozen|expired|closed|discontinued|not active|on hold|blocked by (the )?administrator)|(disabled|suspended|inactive|deactivated|closed|expired|locked) (user |e-?mail )?(account|mail ?box|recipient|user)|account (is )?(unavailable|not available) (due to|because)|no longer (active|in use|available)|user not active|mailbox (is )?not (active|enabled)|5\.7\.13\b|this account has been|\bis (currently |temporarily |permanently )?(disabled|suspended|deactivated|inactive)\b|(konto|postfach) (ist )?(gesperrt|deaktiviert)|compte (est )?(d[ée]sactiv[ée]|suspendu)|cuenta (est[áa] )?(desactivada|suspendida)", Linear);

    private static Regex Suspend() => SuspendPattern;

    private static readonly Regex NotAcceptPattern = new(@"null mx|does not accept (any )?(e-?mail|mail|messages)|(accepts|receives|accepting) no (e-?mail|mail)|(not|no longer) (accepting|receiving) (any )?(e-?mail|mail|messages)|domain (does not|doesn't|won't) (receive|accept)|no mail (is )?accepted|not configured to (receive|accept)|no longer accepts|does not receive (e-?mail|mail)", Linear);

    private static Regex NotAccept() => NotAcceptPattern;

    private static readonly Regex HostUnknownPattern = new(@"host (or domain name )?(not found|unknown)|unknown (host|domain)|no such (domain|host)|domain (name )?(not found|does not exist|doesn't exist|unknown|is not valid|invalid|lookup failed)|name service error|(mx|dns) (record )?(lookup )?(for .{1,80} )?(failed|not found|error: domain)|dns error: domain|(unrouteable|unroutable|unresolvable) (mail )?domain|no (mx|mail exchanger|valid mx)|nxdomain|(invalid|bad|unknown|nonexistent|non-existent) (recipient )?domain|domain .{1,80} (could not|couldn't|can't|cannot) be found|recipient domain .{0,40}(not|doesn't|does not)|address (domain|host) (not found|unknown)|domain (name )?.{0,40}(is not|isn't|not|does not appear to be|doesn't appear to be) registered|(couldn't|could not|cannot|can't|unable to) find (any |the |a )?(host|domain|mail exchanger|mx)|non-existent hosts?|all relevant mx records", Linear);

    private static Regex HostUnknown() => HostUnknownPattern;

    private static readonly Regex UserUnknownPattern = new(@"user (is )?unknown|unknown (user|recipient|mail ?box|local.?part|address|alias|account|e-?mail)|no such (user|mail ?box|recipient|account|address|person|local user|e-?mail)|(user|recipient|mail ?box|address|account|e-?mail( account)?|addressee|local part) (does not|doesn't|doesnt|did not|not) exist|(user|recipient|mail ?box|address|account|addressee) (was |is )?(not found|invalid|not valid|unknown|not known|not listed|rejected: user)|(invalid|bad|unknown|nonexistent|non-existent|non-existant|inexistent) (recipient|mail ?box|address|user|e-?mail|destination|account|addressee)|recipient ?not ?found|recip\w*notfound|address (not found|couldn't be found|could not be found|lookup failed)|not listed in (the )?(domino|public name|address book|directory)|not a (valid|known) (user|mail ?box|recipient|address)|is not a valid mailbox|no mailbox (here )?(by that name|for)|(mailbox|user) not (found|available|here)|unrouteable address|undeliverable address|bad destination mail ?box|destination (mail ?box )?address (invalid|unknown)|(doesn't|does not) have an? .{1,40} account|that (address|account|user) (does not|doesn't) exist|no (user|account|mailbox) (by that name|with that name|named)|(user|recipient) (account )?(is )?not (local|registered)|(user|account|address|mail ?box) (is )?(no longer|not) (valid|available|in use)|unknown or illegal alias|could not be found|couldn't be found|address (is )?(unavailable|invalid)|no such address|recipient address rejected: access denied\. as\(|unbekannt|existiert nicht|nicht vorhanden|n\'existe pas|inconnu|no existe|desconocido|inesistente|sconosciuto|onbekend|bestaat niet", Linear);

    private static Regex UserUnknown() => UserUnknownPattern;

    private static readonly Regex ExceedLimitPattern = new(@"(header|headers) (size|length|section) (too large|exceeds|exceeded)|too many (recipients|rcpts|addresses)|recipient (count |limit )?(limit|exceeded)|(exceeds?|exceeded|over) (the |its |your )?(recipient |message |sending |maximum )?limit|limit (exceeded|reached)|message length exceeds administrative limit|exceeds (the )?(per-user|mailbox) (size )?limit", Linear);

    private static Regex ExceedLimit() => ExceedLimitPattern;

    private static readonly Regex MesgTooBigPattern = new(@"(message|mail|e-?mail|file|data|attachment)s? (size )?(is |was |too )?(too (big|large|long)|exceeds? (the )?(maximum|max|size|fixed|allowed|configured))|(message|mail) size (exceeds|exceeded|too|limit)|size (limit|exceeds)|(exceeds|exceeded) (the )?(maximum )?(allowed |permitted )?(message |mail )?size|message (length|file) (too|exceeds)|too (big|large) for (the )?(system|server|recipient)|maximum (message )?size", Linear);

    private static Regex MesgTooBig() => MesgTooBigPattern;

    private static readonly Regex ListedPattern = new(@"blocked using|blacklist|blocklist|block list|black list|dnsbl|\brbl\b|spamhaus|spamcop|barracuda|sorbs|uceprotect|(listed|found) (at|in|on|by) .{0,40}(bl|rbl|dnsbl|blocklist|blacklist|block list|black list)\b|(ip|host|you|server|network) (address )?(is |are |was |has been )?(currently |temporarily |permanently )?(black|block|ban)(listed|ed)\b|(client|your|sending) (host|ip|server|mta)( address)? .{0,60}(blocked|banned|listed)|\bS3150\b|\bAUP#", Linear);

    private static Regex Listed() => ListedPattern;

    private static readonly Regex BlockedPattern = new(@"blocked|(access|connection) (denied|refused|rejected)|(client|your|sending) (host|ip|server|mta)( address)? .{0,60}(rejected|refused|denied|not allowed)|(ip|host|network) (address )?(is )?(not allowed|banned|on our)|dynamic (ip|address|pool)|dial-?up|residential|not allowed to send (mail|e-?mail|to)|your (ip|server|host|network)|service unavailable; (client|sender)|temporarily rejected|connection (was )?not accepted", Linear);

    private static Regex Blocked() => BlockedPattern;

    private static readonly Regex SpamDetectedPattern = new(@"\bspam\b|\bspams\b|spam (content|score|filter|message)|(un)?solicited (commercial )?(e-?mail|mail|message|bulk)|\bjunk\b|bulk (e-?)?mail|\bUCE\b|content (looks like|appears to be|is) spam|(identified|classified|detected|marked|considered|flagged) as (spam|junk|bulk)|likely (unsolicited|spam)", Linear);

    private static Regex SpamDetected() => SpamDetectedPattern;

    private static readonly Regex NotCompliantRfcPattern = new(@"\brfc ?(822|2822|5322|2821|5321|2045|2046|1123|6531|6532)\b|not (rfc[- ]?)?compliant|(invalid|malformed|missing|duplicate|multiple|bad) (message )?(from|to|date|message-id|subject|mime|header)( header)?s?( field| line)?\b|header (field|line)s? (is |are )?(invalid|malformed|missing|too long)|bare (lf|linefeed|newline)|does not conform|non-?conforming|message-id (header )?(is )?(missing|required)|line (is )?too long|improperly formatted", Linear);

    private static Regex NotCompliantRfc() => NotCompliantRfcPattern;

    private static readonly Regex ContentErrorPattern = new(@"content (rejected|not accepted|error|filter|violation|policy)|(message|mail) content|(attachment|file) (type )?(is )?(not allowed|not permitted|rejected|blocked|prohibited|forbidden)|(illegal|forbidden|prohibited|banned|blocked|unacceptable) (attachment|file|content|extension)|(executable|encrypted) (attachment|file|content)|message (was |has been )?(rejected|blocked) (because of|due to) (its )?(content|attachment)|(invalid|improper) (mime|content|encoding|character)", Linear);

    private static Regex ContentError() => ContentErrorPattern;

    private static readonly Regex FailedStartTlsPattern = new(@"starttls.{0,40}(fail|error|not (offered|supported|available))|tls (handshake|negotiation|session|connection) (failed|error|could not)|(failed|unable|could not) to (establish|negotiate|start) (a )?(tls|secure|encrypted)|(requires?|required) (a )?(tls|secure connection|encryption)|tls (is )?(required|mandatory)|requiretls|must use tls", Linear);

    private static Regex FailedStartTls() => FailedStartTlsPattern;

    private static readonly Regex SecurityErrorPattern = new(@"(authentication|auth|login|smtp auth) (is )?(required|needed|failed|failure)|(must|need to|please) (issue a starttls|authenticate|log ?in|use smtp auth)|not (authenticated|logged in)|(invalid|bad|wrong) (credentials|password|login)|encryption (required|needed)|insecure|security (policy|error|reasons|violation)|certificate (error|invalid|expired|verification)|unauthori[sz]ed (access|connection)", Linear);

    private static Regex SecurityError() => SecurityErrorPattern;

    private static readonly Regex SyntaxErrorPattern = new(@"syntax error|(command|parameter|argument)s? (not )?(recognized|unrecognized|not implemented|invalid|unknown)|unrecognized command|bad sequence of commands|(invalid|unknown|illegal) (command|parameter|argument)|(unexpected|bad|invalid) (smtp )?(response|reply|greeting)|protocol (error|violation)|pipelining (not allowed|violation)|improper use of smtp|\bbdat\b.{0,20}(not|invalid)", Linear);

    private static Regex SyntaxError() => SyntaxErrorPattern;

    private static readonly Regex FilteredPattern = new(@"filtered|(recipient|user|mailbox owner) (has )?(refused|rejected|blocked|declined) (to accept )?(your|this|the|mail|messages|you)|(rejected|refused|declined|blocked) by (the )?(recipient|user|mailbox owner)|does not (want|wish) to (receive|accept)|not authori[sz]ed to (send|e-?mail|post|mail) (to )?(this|the) (recipient|user|group|list|address)|(restricted|moderated) (group|list|recipient|distribution)|only accepts? (mail|messages|e-?mail) from|(senders?|you) (is |are )?not (on|in) (the|his|her|their|my) (allowed|white|safe|accept)|(user|recipient) (has )?blocked (you|your|the sender|this sender|mail from)", Linear);

    private static Regex Filtered() => FilteredPattern;

    private static readonly Regex PolicyViolationPattern = new(@"polic(y|ies)|violat|prohibited|forbidden|administrative(ly)? (prohibition|denied|restriction)|not allowed by|against (our|the) (terms|rules|guidelines)|terms of (service|use)|acceptable use|compliance|restricted|message (was )?(refused|rejected|not accepted) (by|for|due to)|local (rules|restrictions)", Linear);

    private static Regex PolicyViolation() => PolicyViolationPattern;

    private static readonly Regex ExpiredPattern = new(@"retry (time(out)?|period|timeout) (not reached for any host after a long failure period|exceeded|expired)|(retry|delivery|message|queue|lifetime|time) (has |was )?(expired|timed? ?out)|(could not|couldn't|cannot|can't|unable to|was not|wasn't) (be )?(deliver|send|delivered|sent)(ed)? .{0,40}(for|within|in|after) (the last )?\d+ (hours|days|minutes)|(in|on|from) the queue (for )?too long|too long in (the )?queue|giving up (after|on)|i'm not going to try again|undeliverable for \d+|expired after|delivery (time|attempts?) (expired|exceeded|has expired)|maximum (delivery )?(time|retr(y|ies)|attempts)|message timed out|timeout exceeded|has been (in the queue|queued) (for )?(too long|more than)|was not delivered for|not been delivered within", Linear);

    private static Regex Expired() => ExpiredPattern;

    private static readonly Regex MailerErrorPattern = new(@"mailer error|unknown mailer|command (died|failed|exited)|exit (status|code) \d|procmail|maildrop|\bpipe\b.{0,40}(fail|error|returned)|x-unix;|program (failed|error|returned)|local delivery failed|delivery to (a )?(pipe|program|file) failed", Linear);

    private static Regex MailerError() => MailerErrorPattern;

    private static readonly Regex NetworkErrorPattern = new(@"connection (refused|timed? ?out|reset|lost|closed|dropped|failed)|(could not|couldn't|can't|cannot|unable to|failed to) (connect|open (a )?connection|reach|contact)|no route to host|(network|host) (is )?unreachable|lost connection|connect(ion)? to .{1,120}(failed|timed out|refused)|timed? ?out (while|after|waiting|reading|during)|(read|write|response|greeting|connection|smtp) time.?out|temporary failure in name resolution|dns (lookup |query |resolution )?(failed|failure|error|timeout)|(mx|dns) (lookup|resolution) (failed|failure|error)|servfail|routing loop|mail (for .{1,80} )?loops back|too many hops|hop count|mail loop|(wasn't|was not|couldn't|could not) (able to )?(establish|open) (an |a )?(smtp )?connection", Linear);

    private static Regex NetworkError() => NetworkErrorPattern;

    private static readonly Regex SystemErrorPattern = new(@"system (error|problem|failure|not available)|internal (server |system )?(error|failure|problem)|local (error|problem|configuration error)|server error|configuration (error|problem)|temporary (local )?(problem|failure|error)|(server|service|system) (is )?(temporarily )?(unavailable|not available|busy|overloaded)|i/o error|unexpected (error|failure)|(mail|delivery) (system|subsystem) (error|failure)|resources? (temporarily )?unavailable|try again later", Linear);

    private static Regex SystemError() => SystemErrorPattern;

    private static readonly Regex WeakUserUnknownPattern = new(@"mail ?box (is )?(unavailable|not available)|recipient (address )?(rejected|refused|invalid|denied)|invalid (address|recipient)|address (rejected|refused)|not our customer|undeliverable|unknown|not found", Linear);

    private static Regex WeakUserUnknown() => WeakUserUnknownPattern;

    private static readonly Regex WeakRejectedPattern = new(@"rejected|refused|denied|not accepted|not allowed", Linear);

    private static Regex WeakRejected() => WeakRejectedPattern;
}
