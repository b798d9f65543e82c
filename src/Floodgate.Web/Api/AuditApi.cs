using System.Text.Json;
using Floodgate.Storage;
using Floodgate.Storage.Audit;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>
/// Filters of <c>GET /audit</c>; each left out means any. <c>action</c> is exact ("mailbox.status") or a
/// prefix ending in "*" ("mailbox.*"); <c>actor</c> is exact ("operator:alice", "api-key:3", "cli:root").
/// </summary>
public sealed record AuditListQuery(string? Actor, string? Action, string? TargetKind, int? TargetId, DateTimeOffset? Since, DateTimeOffset? Until, long? Cursor, int? Limit);

/// <summary>One change: who (actor), from where (origin: the client address of a web request, "cli"), what, and the details as written.</summary>
public sealed record AuditView(long Id, DateTimeOffset Time, string Actor, string Action, string TargetKind, int? TargetId, string? Origin, JsonElement? Details)
{
    internal static AuditView Of(AuditEntry a) => new(a.Id, a.Time, a.Actor, a.Action, a.TargetKind, a.TargetId, a.Origin, Parse(a.Details));

    private static JsonElement? Parse(string? details)
    {
        if (string.IsNullOrEmpty(details))
            return null;
        try
        {
            using var document = JsonDocument.Parse(details);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Written by the stores as JSON; should an old row not be, show it as the text it is.
            return JsonSerializer.SerializeToElement(details);
        }
    }
}

/// <summary>The audit log, newest first, filtered and paged by id.</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAsync).RequireAuthorization(AccessPolicies.Audit).WithTags("Audit").WithSummary("The audit log, newest first");
        return api;
    }

    private static async Task<Results<Ok<Page<AuditView>>, ValidationProblem>> ListAsync([AsParameters] AuditListQuery query, AuditLog audit, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var limit = problems.Limit(query.Limit);
        problems.Range(query.Since, query.Until);
        if (problems.Any)
            return problems.Problem();
        var page = await audit.PageAsync(new AuditQuery(query.Actor, query.Action, query.TargetKind, query.TargetId, query.Since, query.Until, query.Cursor, limit), cancellationToken);
        return TypedResults.Ok(page.Map(AuditView.Of));
    }
}
