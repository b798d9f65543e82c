using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Storage;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>
/// Filters of <c>GET /transactions</c>; each left out means any. <c>since</c> is inclusive, <c>until</c>
/// exclusive (ISO 8601, e.g. 2026-12-03T10:00:00Z). <c>verdict</c>: Accepted, Deferred, Rejected, Held;
/// <c>door</c>: gateway, policy, milter.
/// </summary>
public sealed record TransactionListQuery(
    int? MailboxId, string? Mailbox, int? DomainId, int? ClientId, string? Verdict, string? Door,
    DateTimeOffset? Since, DateTimeOffset? Until, long? Cursor, int? Limit);

/// <summary>One transaction: metadata only (the log keeps no body and no recipient addresses).</summary>
public sealed record TransactionView(
    long Id, DateTimeOffset Time, int? MailboxId, string? Mailbox, int? DomainId, int? ClientId, string Door, string? ClientAddress,
    string? EnvelopeSender, int Recipients, int ExternalRecipients, string? RecipientDomains, long SizeBytes, string? MessageId,
    Outcome Verdict, string? VerdictCode, string? VerdictReason, string? UpstreamReply, bool Counted, long PolicyMicros, long RelayMicros, long TotalMicros)
{
    internal static TransactionView Of(TransactionRecord t) => new(
        t.Id, t.Time, t.MailboxId, t.MailboxAddress, t.DomainId, t.ClientId, t.FrontDoor, t.ClientAddress, t.EnvelopeSender,
        t.RecipientCount, t.ExternalRecipientCount, t.RecipientDomains, t.SizeBytes, t.MessageId, t.Verdict, t.VerdictCode,
        t.VerdictReason, t.UpstreamReply, t.Counted, t.PolicyMicros, t.RelayMicros, t.TotalMicros);
}

/// <summary>The transaction log, newest first, filtered and paged by id. A client administrator sees its own client's only.</summary>
public static class TransactionsApi
{
    private static readonly string[] Doors = [DoorNames.Name(Door.Gateway), DoorNames.Name(Door.Policy), DoorNames.Name(Door.Milter)];

    public static RouteGroupBuilder MapTransactionsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/transactions", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithTags("Transactions")
            .WithSummary("The transaction log, newest first");
        return api;
    }

    private static async Task<Results<Ok<Page<TransactionView>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [AsParameters] TransactionListQuery query, Caller caller, TransactionLog log, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var verdict = problems.Enum<Outcome>(query.Verdict, "verdict");
        var limit = problems.Limit(query.Limit);
        problems.Range(query.Since, query.Until);
        var door = query.Door?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(door) && !Doors.Contains(door))
            problems.Add("door", $"door must be one of {string.Join(", ", Doors)}; \"{query.Door}\" is none of them.");
        if (problems.Any)
            return problems.Problem();
        if (!ClientScope.TryApply(caller, query.ClientId, out var clientId))
            return ApiGroup.NotFound($"client {query.ClientId}");

        var page = await log.PageAsync(new TransactionQuery(
            Since: query.Since, Mailbox: query.Mailbox, Verdict: verdict, Limit: limit, Until: query.Until, MailboxId: query.MailboxId,
            DomainId: query.DomainId, ClientId: clientId, Door: door, Cursor: query.Cursor), cancellationToken);
        return TypedResults.Ok(page.Map(TransactionView.Of));
    }
}
