using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>Filters of <c>GET /mailboxes</c>: client, domain, status, search text (address or display name), page.</summary>
public sealed record MailboxListQuery(int? ClientId, int? DomainId, string? Status, string? Search, long? Cursor, int? Limit);

/// <summary>
/// Mailboxes: the accounts that send; the address is the SMTP login. A client administrator sees its own
/// client's only. An administrator sets a password here; it is never answered back.
/// </summary>
public static class MailboxesApi
{
    public static RouteGroupBuilder MapMailboxesApi(this RouteGroupBuilder api)
    {
        var mailboxes = api.MapGroup("/mailboxes").WithTags("Mailboxes");
        mailboxes.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("List mailboxes");
        mailboxes.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A mailbox with its domain, client, contact, plan and limits");
        mailboxes.MapGet("/{id:int}/complaints", ComplaintsAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A mailbox's complaint rate (ARF feedback loops) over the window, and its latest complaints with their attribution");
        mailboxes.MapGet("/{id:int}/compromise", CompromiseAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A mailbox's signs of a stolen password: recipients refused as unknown users in the last hour and the client networks it logged in from in the last day, with the thresholds");
        mailboxes.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Add a mailbox to an existing domain");
        mailboxes.MapPatch("/{id:int}", UpdateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Change a mailbox's display name or allowed senders");
        mailboxes.MapPut("/{id:int}/password", SetPasswordAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Set a mailbox's password");
        return api;
    }

    private static async Task<Results<Ok<Page<MailboxView>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [AsParameters] MailboxListQuery query, Caller caller, AccountStore store, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var status = problems.Enum<AccountStatus>(query.Status, "status");
        var limit = problems.Limit(query.Limit);
        if (problems.Any)
            return problems.Problem();
        if (!ClientScope.TryApply(caller, query.ClientId, out var clientId))
            return ApiGroup.NotFound($"client {query.ClientId}");
        var page = await store.QueryMailboxesAsync(
            new AccountQuery(ClientId: clientId, DomainId: query.DomainId, Status: status, Search: query.Search, Cursor: query.Cursor, Limit: limit), cancellationToken);
        return TypedResults.Ok(page.Map(MailboxView.Of));
    }

    private static async Task<Results<Ok<MailboxView>, ProblemHttpResult>> GetAsync(int id, Caller caller, AccountStore store, CancellationToken cancellationToken) =>
        await FindAsync(store, caller, id, cancellationToken) is { } m ? TypedResults.Ok(MailboxView.Of(m)) : ApiGroup.NotFound($"mailbox {id}");

    private static async Task<Results<Ok<MailboxComplaintsView>, ProblemHttpResult>> ComplaintsAsync(
        int id, Caller caller, AccountStore store, Complaints.ComplaintReputation reputation, Storage.Complaints.ComplaintStore complaints, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"mailbox {id}");
        var now = time.GetUtcNow();
        var recent = await Complaints.ComplaintEvidence.BeforeAsync(complaints, reputation.Options, id, now, cancellationToken);
        return TypedResults.Ok(new MailboxComplaintsView(Complaints.ComplaintEvidence.Rate(reputation, id), recent));
    }

    private static async Task<Results<Ok<MailboxCompromiseView>, ProblemHttpResult>> CompromiseAsync(
        int id, Caller caller, AccountStore store, CompromiseWatch watch, DetectionOptions detection, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"mailbox {id}");
        return TypedResults.Ok(MailboxCompromiseView.Of(watch.Describe(id, time.GetUtcNow()), detection));
    }

    private static async Task<Results<Created<MailboxView>, ValidationProblem>> CreateAsync(
        MailboxCreate body, Caller caller, AccountStore store, [FromServices] AccountOptions accounts, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        Mailbox created;
        try
        {
            created = await store.AddMailboxAsync(new NewMailbox(body.Address ?? "", body.Password, body.DisplayName, body.PasswordHash, accounts.AllowWeakPasswordSchemes), caller.Actor, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            // The address names a domain that does not exist: a problem of the request, not a missing resource.
            return ApiGroup.Invalid("address", ex.Message);
        }

        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Created($"{ApiGroup.Prefix}/mailboxes/{created.Id}", MailboxView.Of(await store.GetMailboxAsync(created.Id, cancellationToken)));
    }

    private static async Task<Results<Ok<MailboxView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, MailboxUpdate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"mailbox {id}");
        await store.UpdateMailboxAsync(id, new MailboxChange(body.DisplayName, body.AllowedSenders), caller.Actor, cancellationToken);
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Ok(MailboxView.Of(await store.GetMailboxAsync(id, cancellationToken)));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetPasswordAsync(
        int id, PasswordSet body, Caller caller, AccountStore store, [FromServices] AccountOptions accounts, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"mailbox {id}");
        if (string.IsNullOrEmpty(body.Password) == string.IsNullOrEmpty(body.PasswordHash))
            return ApiGroup.Invalid("password", "give password or passwordHash (Dovecot's {SCHEME}hash form), one of them.");
        if (body.PasswordHash is { Length: > 0 } hash)
            await store.SetPasswordHashAsync(id, hash, accounts.AllowWeakPasswordSchemes, caller.Actor, cancellationToken);
        else
            await store.SetPasswordAsync(id, body.Password!, caller.Actor, cancellationToken);

        // At once: the old password must stop working now, not at the next poll.
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The mailbox (with domain, client and plan) when it exists and the caller may see its client; null otherwise: both answer 404.</summary>
    internal static async Task<Mailbox?> FindAsync(AccountStore store, Caller caller, int id, CancellationToken cancellationToken)
    {
        try
        {
            var mailbox = await store.GetMailboxAsync(id, cancellationToken);
            return mailbox.Domain is { } domain && caller.CanSee(domain.ClientId) ? mailbox : null;
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return null;
        }
    }
}

/// <summary>A mailbox's complaint rate over the complaint window (the detector's reading) and the complaints in that window.</summary>
public sealed record MailboxComplaintsView(Complaints.ComplaintRateView Rate, IReadOnlyList<Complaints.ComplaintItem> Complaints);

/// <summary>
/// What the detector's compromise watch knows of a mailbox now (in memory: the unknown recipients of the
/// last hour are not kept across a restart, the networks are), with the thresholds its signals use.
/// </summary>
public sealed record MailboxCompromiseView(
    int InvalidRecipientsLastHour,
    int InvalidRecipientsAtUpstream,
    int InvalidRecipientsInBounces,
    int InvalidRecipientsPerHour,
    IReadOnlyList<string> RecentInvalidRecipients,
    IReadOnlyList<LoginNetworkView> LoginNetworksLastDay,
    int LoginNetworksPerDay,
    DateTimeOffset? LoginsSince,
    string? NewNetwork,
    DateTimeOffset? NewNetworkAt)
{
    public static MailboxCompromiseView Of(CompromiseView? view, DetectionOptions detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        return view is null
            ? new(0, 0, 0, detection.InvalidRecipientsPerHour, [], [], detection.LoginNetworksPerDay, null, null, null)
            : new(view.InvalidRecipientsLastHour, view.AtUpstream, view.InBounces, detection.InvalidRecipientsPerHour, view.RecentInvalidRecipients,
                view.NetworksLastDay, detection.LoginNetworksPerDay, view.LoginsSince, view.NewNetwork, view.NewNetworkAt);
    }
}
