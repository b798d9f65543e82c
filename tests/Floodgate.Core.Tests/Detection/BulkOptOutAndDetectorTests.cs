using Floodgate.Core.Policy;
using MimeKit;

namespace Floodgate.Core.Tests.Detection;

/// <summary>The bulk opt-out rule beside the detector: the detector sees every message and its word comes first.</summary>
public sealed class BulkOptOutAndDetectorTests
{
    private const string Pitch =
        "Dear customer, our spring offer is here. Buy two cartridges and get the third one free. " +
        "The offer runs until the end of the month and applies to every printer model we sell. " +
        "Order today at our web shop and pay on delivery. Shipping is free for orders over fifty dollars. " +
        "Questions? Our sales team answers within one business day.";

    [Fact]
    public void ABlastWithoutListUnsubscribeStillEndsInTheDetectorsOffense()
    {
        var t = new DetectorHarness(bulkOptOut: BulkOptOutMode.Refuse);
        var reasons = Blast(t, copies: 3);
        Assert.Equal([PolicyReasons.BulkWithoutOptOut, PolicyReasons.Held, PolicyReasons.Offense], reasons);
        var offense = Assert.Single(t.Sink.Offenses);
        Assert.Contains(offense.Signals, s => s.Rule == "repeat");
        Assert.Equal(0, t.RelayedExternal);
    }

    [Fact]
    public void TheBulkRuleChangesNothingOfTheDetectorsVerdictsAfterTheFirstCopy()
    {
        var refusing = Blast(new DetectorHarness(bulkOptOut: BulkOptOutMode.Refuse), copies: 4);
        var off = Blast(new DetectorHarness(bulkOptOut: BulkOptOutMode.Off), copies: 4);
        Assert.Equal(PolicyReasons.Relayed, off[0]);
        Assert.Equal(off[1..], refusing[1..]);
    }

    [Fact]
    public void TheDetectorsHoldTakesPrecedenceOverTheBulkRefusal()
    {
        var t = new DetectorHarness(bulkOptOut: BulkOptOutMode.Refuse);
        var reasons = Blast(t, copies: 2);
        Assert.Equal(PolicyReasons.Held, reasons[1]);
        Assert.Single(t.Sink.Holds);
    }

    private static List<string> Blast(DetectorHarness t, int copies)
    {
        var reasons = new List<string>(copies);
        for (var i = 0; i < copies; i++)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("ann@acme.test"));
            message.To.Add(MailboxAddress.Parse("customers@example.net"));
            message.Subject = "Spring offer";
            message.MessageId = $"blast-{i}@acme.test";
            message.Body = new TextPart("plain") { Text = Pitch };
            var verdict = t.Send(message, Enumerable.Range(i * 200, 200).Select(n => $"c{n}@example.net"));
            reasons.Add(verdict.IsAccept ? PolicyReasons.Relayed : verdict.Reason);
            t.Time.Advance(TimeSpan.FromMinutes(5));
        }

        return reasons;
    }
}
