using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Floodgate.Web.Console;

[AllowAnonymous]
public sealed class DeniedModel : PageModel
{
    public void OnGet() => Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status403Forbidden;
}
