using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Floodgate.Web.Console;

/// <summary>Signing out is a POST with the CSRF token: a link elsewhere cannot sign a person out.</summary>
[AllowAnonymous]
public sealed class LogoutModel : PageModel
{
    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? Redirect("/") : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(WebSecurity.CookieScheme);
        return Page();
    }
}
