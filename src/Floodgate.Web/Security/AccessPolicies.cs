using Floodgate.Storage.Access;
using Microsoft.AspNetCore.Authorization;

namespace Floodgate.Web.Security;

/// <summary>
/// Each policy names the roles it admits, so the authorisation matrix is this one table
/// (tests/Floodgate.Web.Tests/AuthorizationMatrixTests.cs walks it for every endpoint).
/// </summary>
public static class AccessPolicies
{
    /// <summary>Every operator role: reads everything.</summary>
    public const string Read = "read";

    /// <summary>Every operator role and client administrators; a client administrator's answers are scoped to its client (<see cref="Caller.ClientScope"/>).</summary>
    public const string ReadScoped = "read-scoped";

    /// <summary>Clients, domains, mailboxes, plans, templates, webhooks: administrators.</summary>
    public const string ManageAccounts = "manage-accounts";

    /// <summary>Suspensions, incidents, reinstatement, counter resets: administrators and the abuse desk.</summary>
    public const string Enforce = "enforce";

    /// <summary>The call queue: administrators, the abuse desk and support.</summary>
    public const string Calls = "calls";

    /// <summary>The audit log: administrators, the abuse desk and read-only auditors.</summary>
    public const string Audit = "audit";

    /// <summary>Operator accounts and API keys: administrators.</summary>
    public const string Administer = "administer";

    /// <summary>The client's own report: its client administrators (and, on their behalf, administrators and the abuse desk).</summary>
    public const string Report = "report";

    /// <summary>Hosted lists' settings, imports and unsubscribes: administrators, the abuse desk, and a client's administrators for its own lists.</summary>
    public const string ManageLists = "manage-lists";

    /// <summary>Bounces fed in over HTTP (an MTA's pipe, a script): administrators and the abuse desk; they move members' scores of every client.</summary>
    public const string IngestBounces = "ingest-bounces";

    public static readonly IReadOnlyDictionary<string, WebRole[]> Roles = new Dictionary<string, WebRole[]>
    {
        [Read] = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.Support, WebRole.ReadOnly],
        [ReadScoped] = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.Support, WebRole.ReadOnly, WebRole.ClientAdministrator],
        [ManageAccounts] = [WebRole.Administrator],
        [Enforce] = [WebRole.Administrator, WebRole.AbuseDesk],
        [Calls] = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.Support],
        [Audit] = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.ReadOnly],
        [Administer] = [WebRole.Administrator],
        [Report] = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.ClientAdministrator],
        [ManageLists] = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.ClientAdministrator],
        [IngestBounces] = [WebRole.Administrator, WebRole.AbuseDesk],
    };

    public static void Add(AuthorizationOptions options)
    {
        foreach (var (name, roles) in Roles)
        {
            options.AddPolicy(name, p => p.RequireAuthenticatedUser().RequireRole(roles.Select(r => r.ToString())));
        }

        // Nothing is open by accident: an endpoint without a policy of its own needs a signed-in operator.
        options.FallbackPolicy = options.GetPolicy(Read);
    }

    public static bool Allows(string policy, WebRole role) => Roles[policy].Contains(role);
}
