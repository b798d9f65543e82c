using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Detection;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Tests.Policy;

/// <summary>The bulk opt-out rule on the engine alone (no detector): the content check a door asks at the end of data.</summary>
public sealed class BulkOptOutTests
{
    private const ListSignals Working = ListSignals.Unsubscribe | ListSignals.WorkingUnsubscribe;

    [Fact]
    public void BulkMailWithoutListUnsubscribeIsRefusedWith550571()
    {
        var verdict = Send(external: 200, ListSignals.None);
        Assert.Equal((Outcome.Rejected, "550 5.7.1", PolicyReasons.BulkWithoutOptOut), (verdict.Outcome, verdict.ReplyCode, verdict.Reason));
    }

    [Fact]
    public void TheRefusalSaysWhyAndPointsAtTheListService()
    {
        var verdict = Send(external: 150, ListSignals.None);
        Assert.Contains("looks like bulk mail (150 external recipients), but it has no List-Unsubscribe", verdict.Text);
        Assert.Contains("the provider's mailing-list service", verdict.Text);
    }

    [Fact]
    public void AWorkingListUnsubscribeLetsBulkMailThrough() =>
        Assert.True(Send(external: 200, Working).IsAccept);

    [Fact]
    public void ABrokenListUnsubscribeIsRefusedAndSaysSo()
    {
        var verdict = Send(external: 200, ListSignals.Unsubscribe);
        Assert.Equal(PolicyReasons.BulkWithoutOptOut, verdict.Reason);
        Assert.Contains("its List-Unsubscribe holds no working URI", verdict.Text);
    }

    [Fact]
    public void PrecedenceBulkWithFewRecipientsIsRefused()
    {
        var verdict = Send(external: 2, ListSignals.PrecedenceBulk);
        Assert.Equal(PolicyReasons.BulkWithoutOptOut, verdict.Reason);
        Assert.Contains("(Precedence: bulk)", verdict.Text);
    }

    [Fact]
    public void ListHeaderFieldsWithFewRecipientsAreRefused() =>
        Assert.Equal(PolicyReasons.BulkWithoutOptOut, Send(external: 3, ListSignals.ListFields).Reason);

    [Fact]
    public void ThirtyExternalRecipientsWithoutListHeadersAreOrdinaryMail() =>
        Assert.True(Send(external: 30, ListSignals.None).IsAccept);

    [Fact]
    public void AnAutoReplyWithPrecedenceBulkIsNotAMailing() =>
        Assert.True(Send(external: 1, ListSignals.PrecedenceBulk | ListSignals.AutoSubmitted).IsAccept);

    [Fact]
    public void InternalMailWithPrecedenceBulkIsNotJudged() =>
        Assert.True(Send(external: 0, ListSignals.PrecedenceBulk, @internal: 3).IsAccept);

    [Fact]
    public void HeadersAloneDoNotCountWhenHeadersMakeBulkIsOff() =>
        Assert.True(Send(external: 2, ListSignals.PrecedenceBulk, configure: o => o.HeadersMakeBulk = false).IsAccept);

    [Fact]
    public void TheRecipientThresholdIsASetting() =>
        Assert.Equal(PolicyReasons.BulkWithoutOptOut, Send(external: 30, ListSignals.None, configure: o => o.ExternalRecipients = 30).Reason);

    [Fact]
    public void OffModeAcceptsBulkMail() =>
        Assert.True(Send(external: 200, ListSignals.PrecedenceBulk, configure: o => o.Mode = BulkOptOutMode.Off).IsAccept);

    [Fact]
    public void ObserveModeAcceptsAndRecordsTheRefusalItWouldHaveGiven()
    {
        var sink = new DetectorHarness.RecordingEnforcement();
        var verdict = Send(external: 200, ListSignals.None, configure: o => o.Mode = BulkOptOutMode.Observe, sink: sink);
        Assert.True(verdict.IsAccept);
        var observed = Assert.Single(sink.ObservedRefusals);
        Assert.Equal(("550 5.7.1", PolicyReasons.BulkWithoutOptOut), (observed.ReplyCode, observed.Reason));
    }

    [Fact]
    public void TheDefaultsAreValid() => Assert.Empty(new PolicyOptions().Validate());

    [Fact]
    public void AThresholdBelowOneFailsValidationNamingTheSetting() =>
        Assert.Contains(new BulkOptOutOptions { ExternalRecipients = 0 }.Validate(), e => e.StartsWith("Policy:BulkOptOut:ExternalRecipients", StringComparison.Ordinal));

    [Fact]
    public void AnUndefinedModeFailsValidationNamingTheSetting() =>
        Assert.Contains(new BulkOptOutOptions { Mode = (BulkOptOutMode)7 }.Validate(), e => e.StartsWith("Policy:BulkOptOut:Mode", StringComparison.Ordinal));

    private static Verdict Send(int external, ListSignals signals, int @internal = 0, Action<BulkOptOutOptions>? configure = null, Detection.DetectorHarness.RecordingEnforcement? sink = null)
    {
        var fixture = new PolicyFixture();
        var options = new PolicyOptions { SupportContact = "abuse@provider.test" };
        configure?.Invoke(options.BulkOptOut);
        var engine = new PolicyEngine(fixture.Directory, fixture.Counters, fixture.Time, options, enforcement: sink);
        var transaction = engine.Open(Door.Gateway);
        Assert.True(transaction.Begin(fixture.Mailbox("ann@acme.test"), "ann@acme.test", 0).IsAccept);
        for (var i = 0; i < external; i++)
        {
            Assert.True(transaction.AddRecipient($"r{i}@example.net").IsAccept);
        }

        for (var i = 0; i < @internal; i++)
        {
            Assert.True(transaction.AddRecipient(i % 2 == 0 ? "bob@acme.test" : "carl@acme-mail.test").IsAccept);
        }

        var facts = new MessageFacts { Size = 2000, MessageId = "m@acme.test", ListSignals = signals };
        return transaction.CheckContentAsync(facts, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}
