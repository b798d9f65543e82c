using System.Globalization;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>One serve whose policy door forgets an open message after 2 s; one mailbox per test.</summary>
public sealed class PolicyDoorFixture : IAsyncLifetime
{
    public static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(2);

    public FloodgateProcess Floodgate { get; } = new();

    public async Task InitializeAsync()
    {
        await ServerState.AddClientAsync(Floodgate, "Door", null, ["door.test"], ["late@door.test", "busy@door.test"]);
        Floodgate.Environment["FLOODGATE_PolicyDelegation__TransactionTimeout"] = TransactionTimeout.ToString("c", CultureInfo.InvariantCulture);
        await Floodgate.StartAsync(Submission.PrivateDoors);
        Assert.NotNull(Floodgate.Policy);
    }

    public Task DisposeAsync() => Floodgate.DisposeAsync().AsTask();
}

/// <summary>The Postfix policy door driven in its own protocol, as smtpd drives it.</summary>
public sealed class PolicyDoorAttackTests(PolicyDoorFixture fixture) : IClassFixture<PolicyDoorFixture>
{
    [Fact]
    public async Task AnEndOfMessageAfterTheTransactionTimeoutStillCountsItsRecipients()
    {
        const string Mailbox = "late@door.test";
        var recipients = Submission.Recipients("late", 50);
        await using var slow = await PolicyClient.ConnectAsync(fixture.Floodgate.Policy!);
        foreach (var r in recipients)
        {
            await slow.AskAsync(PolicyClient.Request("RCPT", "LATE1", Mailbox, r));
        }

        // The slow client's DATA takes longer than the timeout while smtpd serves other clients: their
        // requests give the door its chances to forget the open message. The door sweeps at most every
        // 10 s, so the other traffic runs past that before the late END-OF-MESSAGE arrives.
        await using (var busy = await PolicyClient.ConnectAsync(fixture.Floodgate.Policy!))
        {
            for (var n = 0; n < 12; n++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                var instance = string.Create(CultureInfo.InvariantCulture, $"BUSY{n}");
                await busy.AskAsync(PolicyClient.Request("RCPT", instance, "busy@door.test", string.Create(CultureInfo.InvariantCulture, $"b{n}@outside.example")));
                await busy.AskAsync(PolicyClient.Request("END-OF-MESSAGE", instance, "busy@door.test", string.Empty, recipientCount: 1));
            }
        }

        // Postfix has the message: it is delivered whatever the door answers now, so it must count.
        await slow.AskAsync(PolicyClient.Request("END-OF-MESSAGE", "LATE1", Mailbox, string.Empty, recipients.Length));

        var (used, _) = ServerState.Window(await ServerState.ExplainAsync(fixture.Floodgate, Mailbox), "mailbox", ServerState.ExternalLastHour);
        Assert.Equal(recipients.Length, used);
    }

    [Fact]
    public async Task AnUnknownSaslLoginIsDeferredAtRcpt()
    {
        await using var policy = await PolicyClient.ConnectAsync(fixture.Floodgate.Policy!);

        // Of a domain Floodgate does not police: a login of door.test would become a mailbox on first sight.
        var action = await policy.AskAsync(PolicyClient.Request("RCPT", "UNKNOWN1", "nobody@not-policed.test", "victim@outside.example"));

        // Postfix authenticated this login, yet Floodgate has no mailbox for it: no windows, no cap,
        // no detector would apply, so the message waits until the directory knows the login.
        Assert.StartsWith("action=451 4.7.1", action);
    }
}
