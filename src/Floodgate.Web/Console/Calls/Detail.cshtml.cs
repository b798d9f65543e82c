using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Calls;

/// <summary>One call to make: whom, why, the tries so far, and the form to record this one (roles of policy Calls).</summary>
public sealed class DetailModel(EnforcementQueries enforcement, EnforcementStore store, TimeProvider time) : ConsolePage
{
    public CallView Call { get; private set; } = null!;

    public IReadOnlyList<ContactAttempt> Attempts { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    public bool CanRecord => Caller.Can(AccessPolicies.Calls);

    [BindProperty]
    public ContactOutcome Outcome { get; set; }

    [BindProperty]
    public string? Notes { get; set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await enforcement.CallAsync(id, cancellationToken) is not { } found)
            return NotFound();
        (Call, Attempts) = found;
        Now = time.GetUtcNow();
        return Page();
    }

    public Task<IActionResult> OnPostAsync(long id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Calls,
            () => store.RecordContactAsync(id, Outcome, Notes, Caller.Actor, cancellationToken),
            $"The call was recorded: {Outcome}.",
            Outcome is ContactOutcome.Reached or ContactOutcome.LeftMessage ? "/Calls" : $"/Calls/{id}");
}
