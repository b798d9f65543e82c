using System.Globalization;
using System.Text;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal;

/// <summary>The damages statement of one incident, printable, and the same as CSV (<c>?handler=Csv</c>).</summary>
public sealed class DamagesModel(ClientEnforcementQueries queries, EnforcementStore enforcement) : PortalPageModel
{
    public DamagesStatement Statement { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long incidentId, CancellationToken cancellationToken)
    {
        if (await LoadAsync(incidentId, cancellationToken) is not { } statement)
            return NotFound();
        Statement = statement;
        return Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(long incidentId, CancellationToken cancellationToken)
    {
        if (await LoadAsync(incidentId, cancellationToken) is not { } statement)
            return NotFound();
        var name = string.Create(CultureInfo.InvariantCulture, $"damages-incident-{incidentId}.csv");
        return File(Encoding.UTF8.GetBytes(statement.ToCsv()), "text/csv; charset=utf-8", name);
    }

    // The store reads any incident by id: ask first whether it is this client's.
    private async Task<DamagesStatement?> LoadAsync(long incidentId, CancellationToken cancellationToken) =>
        ClientId is { } clientId && await queries.IsClientIncidentAsync(clientId, incidentId, cancellationToken)
            ? await enforcement.GetDamagesAsync(incidentId, cancellationToken)
            : null;
}
