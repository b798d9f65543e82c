using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// Real Postfix in front of the real floodgate: submission (SASL via Dovecot) → Postfix →
/// check_policy_service + smtpd_milters → floodgate; Postfix relays accepted mail to the sink.
/// Each test uses its own mailbox, so one instance serves the whole class.
/// </summary>
public sealed class PostfixFixture : IAsyncLifetime
{
    public static readonly string[] Mailboxes = ["sue@acme.test", "max@acme.test", "hal@acme.test", "ida@acme.test", "joe@acme.test"];

    /// <summary>A mailbox of client Bravo, whose plan caps a message at <see cref="SmallPlanCap"/> recipients.</summary>
    public const string SmallPlanMailbox = "cap@bravo.test";

    public const int SmallPlanCap = 50;

    /// <summary>A SASL login Dovecot accepts, of a domain Floodgate does not police.</summary>
    public const string UnknownLogin = "ghost@unknown.test";

    /// <summary>A SASL login Dovecot accepts, of Tiny's domain, that Floodgate has no mailbox for (yet).</summary>
    public const string NewcomerLogin = "newcomer@tiny.test";

    /// <summary>Tiny's plan: two recipients per message.</summary>
    public const int TinyPlanCap = 2;

    // Loopback may relay without a login, so that mail without one reaches the recipient restrictions
    // (the README's, with Floodgate's policy door first) instead of stopping at the relay check.
    private static readonly string[] LoopbackRelay =
    [
        "mynetworks = 127.0.0.0/8",
        "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject",
    ];

    public UpstreamSink Sink { get; private set; } = null!;

    public FloodgateProcess Floodgate { get; private set; } = null!;

    public PrivatePostfix Postfix { get; private set; } = null!;

    /// <summary>The main.cf lines under test: the README's "Postfix integration" section, with test ports.</summary>
    public static string[] MainCf(int policyPort, int milterPort, int upstreamPort) =>
    [
        $"relayhost = [127.0.0.1]:{upstreamPort}",
        // The policy runs first, for authenticated senders too; then authenticated relay.
        $"smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:{policyPort}, permit_sasl_authenticated, reject",
        $"smtpd_end_of_data_restrictions = check_policy_service inet:127.0.0.1:{policyPort}",
        "smtpd_policy_service_timeout = 10s",
        "smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later",
        // The largest plan cap: Postfix answers 452 itself beyond it, without counting an error for the
        // first $smtpd_recipient_overshoot_limit extra recipients; the policy door's 452 would count.
        "smtpd_recipient_limit = 200",
        "smtpd_recipient_overshoot_limit = 1000",
        $"smtpd_milters = inet:127.0.0.1:{milterPort}",
        "non_smtpd_milters = $smtpd_milters",
        "milter_protocol = 6",
        "milter_default_action = tempfail",
        "milter_connect_timeout = 10s",
        "milter_command_timeout = 10s",
        "milter_content_timeout = 60s",
    ];

    public async Task InitializeAsync()
    {
        Sink = await UpstreamSink.StartAsync();
        Floodgate = new FloodgateProcess();
        await Floodgate.SeedAsync(Mailboxes);
        await Floodgate.CliOkAsync("plan", "add", "Small", "--max-recipients", SmallPlanCap.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Floodgate.CliOkAsync("client", "add", "Bravo", "--contact-name", "Bo Brown", "--contact-phone", "+1 555 0101", "--contact-email", "bo@bravo.test", "--plan", "Small");
        await Floodgate.CliOkAsync("domain", "add", "bravo.test", "--client", "Bravo");
        await Floodgate.CliOkAsync("mailbox", "add", SmallPlanMailbox, "--password", "correct horse");
        await Floodgate.CliOkAsync("plan", "add", "Two", "--max-recipients", TinyPlanCap.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Floodgate.CliOkAsync("client", "add", "Tiny", "--contact-name", "Ty Ng", "--contact-phone", "+1 555 0102", "--contact-email", "ty@tiny.test", "--plan", "Two");
        await Floodgate.CliOkAsync("domain", "add", "tiny.test", "--client", "Tiny");
        await Floodgate.StartAsync("--upstream", Sink.Url, "--policy", "127.0.0.1:0", "--milter", "127.0.0.1:0");
        Assert.True(Floodgate.Policy is not null && Floodgate.Milter is not null, "serve.json lists no policy or milter endpoint:\n" + Floodgate.Output);
        Postfix = await PrivatePostfix.StartAsync(
            ["ann@acme.test", .. Mailboxes, SmallPlanMailbox, UnknownLogin, NewcomerLogin],
            [.. MainCf(Floodgate.Policy!.Port, Floodgate.Milter!.Port, Sink.EndPoint.Port), .. LoopbackRelay]);
    }

    public async Task DisposeAsync()
    {
        if (Postfix is not null)
        {
            await Postfix.DisposeAsync();
        }

        if (Floodgate is not null)
        {
            await Floodgate.DisposeAsync();
        }

        if (Sink is not null)
        {
            await Sink.DisposeAsync();
        }
    }
}
