using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Floodgate.Web.Console;

/// <summary>
/// What every console page shares: the caller, role checks for the changes a page offers (the folder
/// admits every operator to read; a change needs its own policy), and the flash message after a change.
/// </summary>
public abstract class ConsolePage : PageModel
{
    private Caller? _caller;

    public Caller Caller => _caller ??= Caller.From(HttpContext);

    /// <summary>Null when the caller may; else the answer that refuses it (403 by way of the denied page).</summary>
    protected IActionResult? Refuse(string policy) => Caller.Can(policy) ? null : Forbid();

    protected void Flash(string message) => TempData["Flash"] = message;

    /// <summary>
    /// Runs a change and goes back to <paramref name="back"/> with <paramref name="done"/> or with what the
    /// store refused and why (its messages say which field and what is allowed).
    /// </summary>
    protected async Task<IActionResult> ChangeAsync(string policy, Func<Task> change, string done, string back)
    {
        if (Refuse(policy) is { } refused)
            return refused;
        if (!ModelState.IsValid)
        {
            // A field the form sent that does not bind (an unknown choice, a number that is not one).
            var problems = ModelState.Where(e => e.Value?.Errors.Count > 0).Select(e => $"{e.Key}: {e.Value!.Errors[0].ErrorMessage}");
            Flash("Not done: " + string.Join("; ", problems));
            return LocalRedirect(back);
        }

        try
        {
            await change();
            Flash(done);
        }
        catch (AccountException ex)
        {
            Flash("Not done: " + ex.Message);
        }
        catch (EnforcementException ex)
        {
            Flash("Not done: " + ex.Message);
        }

        return LocalRedirect(back);
    }
}
