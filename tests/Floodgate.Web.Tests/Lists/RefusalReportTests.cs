using System.Text;
using Floodgate.Core.Bounces;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Web.Lists;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The report a refusal in the SMTP dialogue is taken in as, read back by the bounce classifier.</summary>
public sealed class RefusalReportTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnUnknownUserRefusedAtRcptReadsAsAHardUserUnknownBounceOfThatRecipient()
    {
        var refusal = new RelayResult(Outcome.Rejected, 550, "5.1.1", "<gia@hosted.example>: Recipient address rejected: User unknown in virtual alias table");

        var raw = RefusalReport.Create("news@lists.acme.example", "news+bounce-T@lists.acme.example", "gia@hosted.example", refusal, At);
        BounceClassifier.TryClassify(raw, out var report);

        Assert.Equal(BounceKind.Failure, report.Kind);
        var failed = Assert.Single(report.Recipients);
        Assert.Equal(("gia@hosted.example", "5.1.1", BounceReason.UserUnknown, true), (failed.Recipient, failed.Status, failed.Reason, failed.Hard));
    }

    [Fact]
    public void AMultilineReplyStaysInOneDiagnosticCodeField()
    {
        var refusal = new RelayResult(Outcome.Rejected, 550, "5.1.1", "mailbox unavailable\r\nno such user here");

        var text = Encoding.UTF8.GetString(RefusalReport.Create("news@lists.acme.example", "news+bounce-T@lists.acme.example", "bob@people.example", refusal, At));

        Assert.Contains("\r\nDiagnostic-Code: smtp; 550 5.1.1 mailbox unavailable no such user here\r\n", text, StringComparison.Ordinal);
    }
}
