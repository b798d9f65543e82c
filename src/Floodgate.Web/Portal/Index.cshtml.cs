using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Floodgate.Web.Portal;

public sealed class IndexModel : PageModel
{
    public string Actor { get; private set; } = string.Empty;

    public void OnGet() => Actor = Caller.From(HttpContext).Actor;
}
