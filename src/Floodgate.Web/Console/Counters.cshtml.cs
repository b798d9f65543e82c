using Floodgate.Core.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console;

/// <summary>The live counters of one account alone, for the element on its page that refreshes them (data-refresh).</summary>
public sealed class CountersModel(CounterMeters meters) : ConsolePage
{
    public CounterPanel Panel { get; private set; } = null!;

    public IActionResult OnGet(string scope, int id)
    {
        if (!Enum.TryParse<AccountScope>(scope, ignoreCase: true, out var s) || !Enum.IsDefined(s) || meters.For(s, id) is not { } panel)
            return NotFound();
        Panel = panel;
        return Page();
    }
}
