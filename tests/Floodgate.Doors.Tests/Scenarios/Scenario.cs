namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// The ways a message reaches the engine: Floodgate's own gateway, and Postfix with the doors the
/// README's main.cf configures. Postfix is one MTA that asks whichever of its doors are enabled.
/// </summary>
public enum DoorKind
{
    /// <summary>The SMTP submission gateway, relaying in-line.</summary>
    Gateway,

    /// <summary>Postfix with check_policy_service only (PolicyDelegation on, Milter off): RCPT and END-OF-MESSAGE, no body.</summary>
    Policy,

    /// <summary>Postfix with smtpd_milters only (Milter:CountInWindows true): the milter enforces RCPT and judges the content.</summary>
    Milter,

    /// <summary>Postfix with both, the recommended deployment: the policy door counts, the milter beside it inspects the content.</summary>
    PolicyAndMilter,

    /// <summary>
    /// The same configuration with the policy service unreachable and smtpd_policy_service_default_action =
    /// DUNNO (the README's fail-open alternative): the milter beside the policy door, not waited for at MAIL
    /// and RCPT and counting nothing, is all of Floodgate that Postfix still asks.
    /// </summary>
    MilterWithPolicyDown,
}

/// <summary>Where in the transaction a door gave its answer.</summary>
public enum Stage
{
    /// <summary>Nothing was refused and the client ended the transaction itself (RSET) before the content.</summary>
    None,

    Auth,
    Mail,
    Rcpt,

    /// <summary>The gateway's DATA command, before the content is sent.</summary>
    Data,

    /// <summary>After the content: end of DATA, Postfix's END-OF-MESSAGE, the milter's end of message.</summary>
    EndOfData,
}

/// <summary>One message as a client hands it over. Each submission is a connection of its own.</summary>
public sealed record Submission(string? Login, string Sender, IReadOnlyList<string> Recipients)
{
    public string Password { get; init; } = ScenarioWorld.Password;

    /// <summary>The SMTP client's address as Postfix reports it (client_address, the milter's connect address); the gateway's client is always loopback.</summary>
    public string ClientAddress { get; init; } = "127.0.0.1";

    /// <summary>The message with its header block, CRLF line ends.</summary>
    public string Message { get; init; } = Messages.Short;

    /// <summary>RSET after the recipients instead of DATA (Postfix: ABORT to the milter, nothing to the policy service).</summary>
    public bool ResetAfterRecipients { get; init; }

    /// <summary>
    /// Runs once the client has given every recipient, before RSET or the content: a look at the
    /// reservations the transaction holds, or an operator acting mid-transaction.
    /// </summary>
    public Action<ScenarioWorld>? AfterRecipients { get; init; }
}

/// <summary>
/// What one submission got, as a door's protocol tells it: the first refusal (its stage, the recipient
/// it refused counted from 1, the reply code with its enhanced code, the text), else the answer at the
/// end of the data; how many recipients were accepted; to how many the message was handed on
/// (relayed by the gateway, let through by Postfix's doors; none when held or refused).
/// </summary>
public sealed record ScenarioResult(Stage Stage, int Recipient, string Reply, string Text, int Accepted, int Relayed)
{
    /// <summary>What the table compares exactly; the text is compared by a fragment.</summary>
    public string Verdict => $"{Stage}{(Recipient > 0 ? " " + Recipient : string.Empty)}: {(Reply.Length == 0 ? "-" : Reply)}; accepted {Accepted}, handed on to {Relayed}";
}

/// <summary>What a scenario expects of one submission. <see cref="Reply"/> "hold" is a quarantine (the milter's hold queue).</summary>
public sealed record Expected(Stage Stage, int Recipient, string Reply, string TextContains, int Accepted, int Relayed)
{
    public string Verdict => new ScenarioResult(Stage, Recipient, Reply, TextContains, Accepted, Relayed).Verdict;

    public static Expected Delivered(int recipients) => new(Stage.EndOfData, 0, "250", string.Empty, recipients, recipients);

    public static Expected RefusedAtMail(string reply, string text) => new(Stage.Mail, 0, reply, text, 0, 0);

    /// <summary>Refused at RCPT number <paramref name="recipient"/> (from 1); the others went on.</summary>
    public static Expected RefusedAtRcpt(int recipient, string reply, string text, int accepted, int relayed) =>
        new(Stage.Rcpt, recipient, reply, text, accepted, relayed);

    public static Expected RefusedAtEndOfData(string reply, string text, int accepted) => new(Stage.EndOfData, 0, reply, text, accepted, 0);

    public static Expected Abandoned(int accepted) => new(Stage.None, 0, string.Empty, string.Empty, accepted, 0);
}

/// <summary>The mailbox's windows once the transactions are over: the last hour's messages and recipients; nothing reserved.</summary>
public sealed record Windows(int Messages, int External, int Internal)
{
    public static readonly Windows Empty = new(0, 0, 0);
}

/// <summary>
/// A way one protocol genuinely differs from the others, with why: it changes what the scenario
/// expects of the doors it names, and nothing else. Kept few; each is explained where it is made
/// (<see cref="Differences"/>).
/// </summary>
public sealed record Difference(string Name, string Why, IReadOnlyList<DoorKind> Doors)
{
    public Func<Expected, Expected> Verdict { get; init; } = static e => e;

    /// <summary>The windows these doors leave instead of the scenario's, or null for the scenario's.</summary>
    public Windows? WindowsAfter { get; init; }
}

/// <summary>
/// One row of the table, before it is crossed with the doors: the submissions in order, what each
/// should get and the windows afterwards, the same for every door unless a <see cref="Difference"/>
/// says otherwise.
/// </summary>
public sealed record Scenario(string Name, string Why, IReadOnlyList<Submission> Submissions, IReadOnlyList<Expected> Expect, Windows WindowsAfter)
{
    /// <summary>The sending mailbox, whose windows are read afterwards.</summary>
    public string Mailbox { get; init; } = ScenarioWorld.Ann;

    /// <summary>Loopback (every driver's client address) is a trusted network of every door.</summary>
    public bool TrustLoopback { get; init; }

    public IReadOnlyList<Difference> Differences { get; init; } = [];

    /// <summary>Doors the scenario cannot be put to, each with why; they get no row.</summary>
    public IReadOnlyDictionary<DoorKind, string> NotApplicable { get; init; } = new Dictionary<DoorKind, string>();

    /// <summary>Further checks on the state afterwards, the same for every door (a suspension, an offense).</summary>
    public Action<ScenarioWorld>? Then { get; init; }

    public IReadOnlyList<Expected> ExpectFor(DoorKind door)
    {
        var expected = new List<Expected>(Expect.Count);
        foreach (var e in Expect)
        {
            var x = e;
            foreach (var d in Differences)
            {
                if (d.Doors.Contains(door))
                {
                    x = d.Verdict(x);
                }
            }

            expected.Add(x);
        }

        return expected;
    }

    public Windows WindowsFor(DoorKind door)
    {
        var windows = WindowsAfter;
        foreach (var d in Differences)
        {
            if (d.Doors.Contains(door) && d.WindowsAfter is { } w)
            {
                windows = w;
            }
        }

        return windows;
    }

    public override string ToString() => Name;
}
