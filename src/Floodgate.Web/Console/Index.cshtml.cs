using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Floodgate.Web.Console;

public sealed class IndexModel : PageModel
{
    public string Actor { get; private set; } = string.Empty;

    public IActionResult OnGet()
    {
        var caller = Caller.From(HttpContext);
        if (caller.IsClientAdministrator)
            return Redirect("/Portal");
        Actor = caller.Actor;
        return Page();
    }
}
