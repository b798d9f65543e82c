using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal;

/// <summary>The incident and the client's three-part report: filed here, returned with a note, filed again.</summary>
public sealed class IncidentModel(ClientEnforcementQueries queries, EnforcementStore enforcement, PolicyOptions policy) : PortalPageModel
{
    public ClientOffense Detail { get; private set; } = null!;

    public ClientIncident Incident => Detail.Incident!;

    [BindProperty]
    public string? Mechanism { get; set; }

    [BindProperty]
    public string? StepsTaken { get; set; }

    [BindProperty]
    public string? ClientPolicy { get; set; }

    /// <summary>Why the report was refused: each missing or short part, or the state that does not take one.</summary>
    public IReadOnlyList<string> Errors { get; private set; } = [];

    public string SupportContact => policy.SupportContact;

    /// <summary>The incident table takes a report in this state, and the caller may file one.</summary>
    public bool CanFile => Caller.Can(AccessPolicies.Report) && TakesReport;

    public bool TakesReport => IncidentTransitions.TryApply(Incident.Incident.State, IncidentAction.SubmitReport, Incident.Incident.Step, out _, out _);

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
            return NotFound();

        // After a return the client amends what it sent rather than starting over.
        if (Incident.Incident.Report is { } report && TakesReport)
            (Mechanism, StepsTaken, ClientPolicy) = (report.Mechanism, report.StepsTaken, report.ClientPolicy);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken cancellationToken)
    {
        // Read-only operators and support may look at the client's view but not speak for it.
        if (!Caller.Can(AccessPolicies.Report))
            return StatusCode(StatusCodes.Status403Forbidden);
        if (ClientId is not { } clientId || !await queries.IsClientIncidentAsync(clientId, id, cancellationToken))
            return NotFound();

        try
        {
            await enforcement.SubmitReportAsync(id, new IncidentReport(Mechanism ?? "", StepsTaken ?? "", ClientPolicy ?? ""), Caller.Actor, cancellationToken);
        }
        catch (EnforcementException ex) when (ex.Error is EnforcementError.Invalid or EnforcementError.Conflict)
        {
            Errors = ex.Details.Count > 0 ? ex.Details : [ex.Message];
            Response.StatusCode = ex.Error == EnforcementError.Invalid ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict;
            return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
        }

        TempData["Flash"] = "Your report was filed. Your provider reviews it and will tell you when it is accepted or if more is needed.";
        return Redirect(Link($"/Portal/Incidents/{id}"));
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (ClientId is not { } clientId || await queries.GetIncidentAsync(clientId, id, cancellationToken) is not { Incident: not null } detail)
            return false;
        Detail = detail;
        return true;
    }
}
