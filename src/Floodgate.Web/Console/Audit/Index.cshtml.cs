using Floodgate.Storage.Audit;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Audit;

/// <summary>The audit log: who changed what, when and from where; filtered, newest first, 50 a page by id. Policy Audit.</summary>
[Authorize(Policy = AccessPolicies.Audit)]
public sealed class IndexModel(AuditSearch search) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Kind { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? Target { get; set; }

    [BindProperty(SupportsGet = true)]
    public long? Before { get; set; }

    public AuditPage Result { get; private set; } = null!;

    public string? NextUrl { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Result = await search.PageAsync(new AuditFilter(Actor, Action, Kind, Target, Before, PageSize), cancellationToken);
        if (Result.NextBeforeId is { } next)
        {
            var query = Request.Query.Where(q => q.Key != "before").ToDictionary(q => q.Key, q => (string?)q.Value.ToString());
            query["before"] = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
            NextUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/Audit", query);
        }
    }
}
