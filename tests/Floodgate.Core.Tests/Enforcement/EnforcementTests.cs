using Floodgate.Core.Enforcement;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Core.Tests.Enforcement;

public sealed class LadderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, LadderStep.SuspendMailbox, "a first offense suspends the mailbox")]
    [InlineData(1, LadderStep.SuspendDomain, "a second suspends the domain")]
    [InlineData(2, LadderStep.TerminateClient, "a third terminates the client")]
    [InlineData(5, LadderStep.TerminateClient, "later ones stay at termination")]
    public void StepFollowsTheNumberOfPriorOffenses(int prior, LadderStep expected, string reason)
    {
        var times = Enumerable.Range(1, prior).Select(i => Now.AddDays(-i));
        Assert.True(expected == Ladder.StepFor(times, Now, new LadderOptions()), reason);
    }

    [Fact]
    public void OffensesOlderThanTheLookBackExpire()
    {
        var time = new FakeTimeProvider(Now);
        var options = new LadderOptions { LookBack = TimeSpan.FromDays(365) };
        var earlier = new[] { Now.AddDays(-10) };
        Assert.Equal(LadderStep.SuspendDomain, Ladder.StepFor(earlier, time.GetUtcNow(), options));
        time.Advance(TimeSpan.FromDays(356));
        Assert.Equal(LadderStep.SuspendMailbox, Ladder.StepFor(earlier, time.GetUtcNow(), options));
    }
}

public sealed class IncidentTests
{
    [Fact]
    public void ReinstatementNeedsAnAcceptedReport()
    {
        Assert.False(IncidentTransitions.TryApply(IncidentState.Contacted, IncidentAction.Reinstate, LadderStep.SuspendMailbox, out _, out var error));
        Assert.Contains("cannot reinstate", error);
        Assert.False(IncidentTransitions.TryApply(IncidentState.ReportSubmitted, IncidentAction.Reinstate, LadderStep.SuspendMailbox, out _, out _));
        Assert.True(IncidentTransitions.TryApply(IncidentState.ReportAccepted, IncidentAction.Reinstate, LadderStep.SuspendMailbox, out var next, out _));
        Assert.Equal(IncidentState.Reinstated, next);
    }

    [Fact]
    public void AReturnedReportCanBeSubmittedAgain()
    {
        var state = IncidentState.Open;
        foreach (var action in new[] { IncidentAction.RecordContact, IncidentAction.SubmitReport, IncidentAction.ReturnReport, IncidentAction.SubmitReport, IncidentAction.AcceptReport })
        {
            Assert.True(IncidentTransitions.TryApply(state, action, LadderStep.SuspendDomain, out state, out var error), error);
        }

        Assert.Equal(IncidentState.ReportAccepted, state);
    }

    [Fact]
    public void ATerminatedClientCannotBeReinstatedThroughTheIncident()
    {
        Assert.False(IncidentTransitions.TryApply(IncidentState.ReportAccepted, IncidentAction.Reinstate, LadderStep.TerminateClient, out _, out var error));
        Assert.Contains("terminated", error);
        Assert.True(IncidentTransitions.TryApply(IncidentState.ReportAccepted, IncidentAction.Close, LadderStep.TerminateClient, out var next, out _));
        Assert.Equal(IncidentState.Closed, next);
    }

    [Theory]
    [InlineData("", "Disabled the compromised account and reset passwords", "Opt-in lists only, reviewed monthly by IT", "mechanism")]
    [InlineData("A password-stealing trojan on a laptop", "  ", "Opt-in lists only, reviewed monthly by IT", "steps")]
    [InlineData("A password-stealing trojan on a laptop", "Disabled the compromised account and reset passwords", "none", "policy")]
    public void EachOfTheThreeReportPartsIsRequired(string mechanism, string steps, string policy, string missing)
    {
        var errors = new IncidentReport(mechanism, steps, policy).Validate();
        Assert.Single(errors);
        Assert.Contains(missing, errors[0]);
    }

    [Fact]
    public void ACompleteReportValidates()
    {
        Assert.Empty(new IncidentReport(
            "A password-stealing trojan on the sales laptop",
            "Wiped the laptop, reset all passwords, enabled MFA",
            "Bulk mail only through the opt-in list service; staff trained").Validate());
    }

    [Fact]
    public void ContactTaskIsDueWithinTheSlaAndOverdueAfterIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        var due = ContactDeadline.DueAt(time.GetUtcNow(), new ContactTaskOptions());
        Assert.Equal(time.GetUtcNow().AddMinutes(15), due);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.False(ContactDeadline.IsOverdue(due, null, time.GetUtcNow()));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(ContactDeadline.IsOverdue(due, null, time.GetUtcNow()));
        Assert.False(ContactDeadline.IsOverdue(due, time.GetUtcNow(), time.GetUtcNow()));
    }
}

public sealed class DamagesTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DamagesArePiecesRelayedTimesThreeDollarsExactly()
    {
        var lines = new[]
        {
            new DamagesLine(At, "<a@x>", 200, true, "relayed"),
            new DamagesLine(At.AddMinutes(1), "<b@x>", 199, true, "relayed"),
            new DamagesLine(At.AddMinutes(2), "<c@x>", 200, false, "held"),
        };
        var s = new DamagesStatement(7, "Acme", lines, new DamagesOptions());
        Assert.Equal(399, s.Pieces);
        Assert.Equal(200, s.NotRelayedAttempts);
        Assert.Equal(1197.00m, s.Total);
        Assert.Contains("7,Acme,total,,,,,399,1197.00,USD", s.ToCsv());
        Assert.Contains("Total due: 1197.00 USD", s.ToText());
    }

    [Fact]
    public void AmountAndCurrencyAreSettings()
    {
        var s = new DamagesStatement(1, "Acme", [new DamagesLine(At, "<a@x>", 3, true, "relayed")], new DamagesOptions { AmountPerPiece = 2.75m, Currency = "EUR" });
        Assert.Equal(8.25m, s.Total);
        Assert.Contains("8.25,EUR", s.ToCsv());
    }

    [Fact]
    public void CsvNeutralisesSpreadsheetFormulas()
    {
        var s = new DamagesStatement(1, "=HYPERLINK(\"x\")", [new DamagesLine(At, "<a@x>", 1, true, "relayed")], new DamagesOptions());
        Assert.DoesNotContain(",=HYPERLINK", s.ToCsv());
    }
}
