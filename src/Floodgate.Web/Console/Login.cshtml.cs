using Floodgate.Storage.Access;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SignInResult = Floodgate.Web.Security.SignInResult;

namespace Floodgate.Web.Console;

/// <summary>One sign-in page for operators (to the console) and client administrators (to the portal).</summary>
[AllowAnonymous]
public sealed class LoginModel(SignIn signIn) : PageModel
{
    [BindProperty]
    public string? Login { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? Code { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public bool AskCode { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var (result, user) = await signIn.SignInAsync(Login ?? string.Empty, Password ?? string.Empty, Code, cancellationToken);
        switch (result)
        {
            case SignInResult.SignedIn:
                var home = user!.Role == WebRole.ClientAdministrator ? "/Portal" : "/";
                return LocalRedirect(ReturnUrl is { Length: > 1 } r && Url.IsLocalUrl(r) && !r.StartsWith("//", StringComparison.Ordinal) ? r : home);
            case SignInResult.NeedsSecondFactor:
                AskCode = true;
                Error = "Enter the code from your authenticator app.";
                break;
            case SignInResult.Throttled:
                Error = "Too many failed sign-ins for this login from your address. Wait a few minutes and try again.";
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                break;
            default:
                AskCode = !string.IsNullOrWhiteSpace(Code);
                Error = "The login, password or code is not right.";
                Response.StatusCode = StatusCodes.Status401Unauthorized;
                break;
        }

        return Page();
    }
}
