using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal;

/// <summary>The client's overview: its state, what it must do now, its domains and mailboxes, and the damages.</summary>
public sealed class IndexModel(ClientEnforcementQueries queries, EnforcementStore enforcement, DamagesOptions damages) : PortalPageModel
{
    public ClientPortalOverview? Overview { get; private set; }

    /// <summary>Each incident's damages statement, by incident id.</summary>
    public IReadOnlyDictionary<long, DamagesStatement> Damages { get; private set; } = new Dictionary<long, DamagesStatement>();

    public decimal DamagesTotal { get; private set; }

    public string Currency => damages.Currency;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        // An operator who named no client gets the form that names one.
        if (ClientId is not { } clientId)
            return Page();
        Overview = await queries.GetOverviewAsync(clientId, cancellationToken: cancellationToken);
        if (Overview is null)
            return NotFound();

        var statements = new Dictionary<long, DamagesStatement>();
        foreach (var incident in Overview.Incidents)
            statements[incident.Incident.Id] = await enforcement.GetDamagesAsync(incident.Incident.Id, cancellationToken);
        Damages = statements;
        DamagesTotal = statements.Values.Sum(s => s.Total);
        return Page();
    }
}
