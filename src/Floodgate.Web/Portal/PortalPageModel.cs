using System.Globalization;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;

namespace Floodgate.Web.Portal;

/// <summary>
/// Which client a portal page shows. A client administrator's own client, always: a <c>clientId</c>
/// in the route, query or form is ignored for it. An operator (support seeing what the client sees)
/// names the client with <c>?clientId=</c>; without one there is nothing to show.
/// </summary>
public abstract class PortalPageModel : PageModel
{
    private Caller? _caller;

    [BindProperty(SupportsGet = true, Name = "clientId")]
    public int? RequestedClientId { get; set; }

    public Caller Caller => _caller ??= Caller.From(HttpContext);

    /// <summary>The client this page shows, or null for an operator who named none.</summary>
    public int? ClientId => Caller.ClientScope ?? (Caller.IsClientAdministrator ? null : RequestedClientId);

    /// <summary>A portal URL that keeps an operator's <c>clientId</c> (a client administrator needs none).</summary>
    public string Link(string path) => Caller.IsClientAdministrator || ClientId is not { } id
        ? path
        : QueryHelpers.AddQueryString(path, "clientId", id.ToString(CultureInfo.InvariantCulture));
}
