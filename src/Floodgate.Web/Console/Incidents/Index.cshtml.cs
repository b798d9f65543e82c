using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Incidents;

/// <summary>The incident queue: by state, those that need work first, an overdue call flagged; 50 a page.</summary>
public sealed class IndexModel(EnforcementQueries enforcement) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)]
    public IncidentState? State { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public IReadOnlyDictionary<IncidentState, int> Counts { get; private set; } = new Dictionary<IncidentState, int>();

    public Paged<IncidentRow> Incidents { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Counts = await enforcement.IncidentCountsAsync(cancellationToken);
        Incidents = await enforcement.IncidentsAsync(State, null, PageNumber, PageSize, cancellationToken);
    }
}
