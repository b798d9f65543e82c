namespace Floodgate.Core.Enforcement;

/// <summary>Where an incident stands. Reinstatement only after an operator accepts the report.</summary>
public enum IncidentState
{
    Open = 0,
    Contacted = 1,
    ReportSubmitted = 2,
    ReportReturned = 3,
    ReportAccepted = 4,
    Reinstated = 5,
    Closed = 6,
}

public enum IncidentAction
{
    RecordContact,
    SubmitReport,
    ReturnReport,
    AcceptReport,
    Reinstate,
    Close,
}

/// <summary>
/// The incident's life as a table: which action is allowed in which state, and where it leads.
/// A termination incident can only be closed: a terminated client is not reinstated this way.
/// </summary>
public static class IncidentTransitions
{
    private static readonly Dictionary<(IncidentState, IncidentAction), IncidentState> Table = new()
    {
        [(IncidentState.Open, IncidentAction.RecordContact)] = IncidentState.Contacted,
        [(IncidentState.Contacted, IncidentAction.RecordContact)] = IncidentState.Contacted,
        [(IncidentState.Open, IncidentAction.SubmitReport)] = IncidentState.ReportSubmitted,
        [(IncidentState.Contacted, IncidentAction.SubmitReport)] = IncidentState.ReportSubmitted,
        [(IncidentState.ReportReturned, IncidentAction.SubmitReport)] = IncidentState.ReportSubmitted,
        [(IncidentState.ReportReturned, IncidentAction.RecordContact)] = IncidentState.ReportReturned,
        [(IncidentState.ReportSubmitted, IncidentAction.ReturnReport)] = IncidentState.ReportReturned,
        [(IncidentState.ReportSubmitted, IncidentAction.AcceptReport)] = IncidentState.ReportAccepted,
        [(IncidentState.ReportAccepted, IncidentAction.Reinstate)] = IncidentState.Reinstated,
        [(IncidentState.Open, IncidentAction.Close)] = IncidentState.Closed,
        [(IncidentState.Contacted, IncidentAction.Close)] = IncidentState.Closed,
        [(IncidentState.ReportSubmitted, IncidentAction.Close)] = IncidentState.Closed,
        [(IncidentState.ReportReturned, IncidentAction.Close)] = IncidentState.Closed,
        [(IncidentState.ReportAccepted, IncidentAction.Close)] = IncidentState.Closed,
    };

    public static bool TryApply(IncidentState state, IncidentAction action, LadderStep step, out IncidentState next, out string? error)
    {
        if (step == LadderStep.TerminateClient && action == IncidentAction.Reinstate)
        {
            next = state;
            error = "a terminated client cannot be reinstated through an incident; close it instead";
            return false;
        }

        if (Table.TryGetValue((state, action), out next))
        {
            error = null;
            return true;
        }

        next = state;
        error = $"cannot {Words(action)} an incident that is {Words(state)}";
        return false;
    }

    public static string Words(IncidentState state) => state switch
    {
        IncidentState.Open => "open",
        IncidentState.Contacted => "contacted",
        IncidentState.ReportSubmitted => "report submitted",
        IncidentState.ReportReturned => "report returned for more",
        IncidentState.ReportAccepted => "report accepted",
        IncidentState.Reinstated => "reinstated",
        _ => "closed",
    };

    private static string Words(IncidentAction action) => action switch
    {
        IncidentAction.RecordContact => "record a call on",
        IncidentAction.SubmitReport => "submit a report to",
        IncidentAction.ReturnReport => "return the report of",
        IncidentAction.AcceptReport => "accept the report of",
        IncidentAction.Reinstate => "reinstate",
        _ => "close",
    };
}

/// <summary>
/// The client's report: the policy asks for all three parts. Each must say something (at least
/// a sentence), so an empty or placeholder report cannot be accepted.
/// </summary>
public sealed record IncidentReport(string Mechanism, string StepsTaken, string ClientPolicy)
{
    public const int MinimumLength = 20;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Check(Mechanism, "mechanism (what sent the mass mailing: a virus, a program, a person)", errors);
        Check(StepsTaken, "steps taken to stop it and prevent more", errors);
        Check(ClientPolicy, "the client's own mass-mailing policy and how it applies it", errors);
        return errors;
    }

    private static void Check(string? value, string what, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"the report must state {what}");
        }
        else if (value.Trim().Length < MinimumLength)
        {
            errors.Add($"the part '{what}' is too short: at least {MinimumLength} characters");
        }
    }
}

public enum ContactOutcome
{
    Reached,
    LeftMessage,
    NoAnswer,
    WrongNumber,
}

public sealed class ContactTaskOptions
{
    /// <summary>The policy says "shortly after": the call is due within this time of the suspension.</summary>
    public TimeSpan Sla { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>Due and overdue, from the suspension time and the SLA.</summary>
public static class ContactDeadline
{
    public static DateTimeOffset DueAt(DateTimeOffset openedAt, ContactTaskOptions options) => openedAt + options.Sla;

    public static bool IsOverdue(DateTimeOffset dueAt, DateTimeOffset? doneAt, DateTimeOffset now) => doneAt is null && now > dueAt;
}
