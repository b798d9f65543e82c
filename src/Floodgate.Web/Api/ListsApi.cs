using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

public sealed record ListListQuery(int? ClientId);

/// <summary>Filters of <c>GET /lists/{id}/members</c>: status, search text (part of the address), page.</summary>
public sealed record MemberListQuery(string? Status, string? Q, long? Cursor, int? Limit);

/// <summary>
/// Hosted lists: settings, members with their consent records, imports, posts, and the bounces they
/// drew. A client administrator sees and changes its own client's lists only; any other list is 404.
/// Subscriptions and imports only ever make members pending: confirmation is the member's own act.
/// </summary>
public static class ListsApi
{
    public static RouteGroupBuilder MapListsApi(this RouteGroupBuilder api)
    {
        var lists = api.MapGroup("/lists").WithTags("Lists");
        lists.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("List hosted lists with their member counts");
        lists.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.ManageLists).WithSummary("Create a list on a domain of a client");
        lists.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A list's settings");
        lists.MapPatch("/{id:int}", UpdateAsync).RequireAuthorization(AccessPolicies.ManageLists).WithSummary("Change a list's name, description, posters, pending lifetime or status");
        lists.MapGet("/{id:int}/members", MembersAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A list's members");
        lists.MapGet("/{id:int}/members/{memberId:int}", MemberAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A member with its consent record, history and bounces");
        lists.MapDelete("/{id:int}/members/{memberId:int}", UnsubscribeAsync).RequireAuthorization(AccessPolicies.ManageLists).WithSummary("Unsubscribe a member (on its request)");
        lists.MapPost("/{id:int}/subscriptions", SubscribeAsync).RequireAuthorization(AccessPolicies.ManageLists).WithSummary("Ask for a subscription: the member is pending and sent a confirmation");
        lists.MapPost("/{id:int}/imports", ImportAsync).RequireAuthorization(AccessPolicies.ManageLists).WithSummary("Import addresses: each is pending and sent a confirmation, never confirmed directly");
        lists.MapPost("/{id:int}/posts", PostAsync).RequireAuthorization(AccessPolicies.ManageLists).WithSummary("Queue a post (the raw message; ?from= an allowed poster, whose windows it counts in) for the confirmed members");
        lists.MapGet("/{id:int}/posts", PostsAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A list's recent posts and their delivery");

        var bounces = api.MapGroup("/bounces").WithTags("Lists");
        bounces.MapPost("", IngestAsync).RequireAuthorization(AccessPolicies.IngestBounces).WithSummary("Take in a bounce or complaint (the raw message; ?recipient= its envelope recipient)");
        bounces.MapGet("/{id:long}/raw", RawAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A kept bounce as it was received (message/rfc822)");
        return api;
    }

    private static async Task<Results<Ok<IReadOnlyList<ListSummaryView>>, ProblemHttpResult>> ListAsync(
        [AsParameters] ListListQuery query, Caller caller, ListStore store, CancellationToken cancellationToken)
    {
        if (!ClientScope.TryApply(caller, query.ClientId, out var clientId))
            return ApiGroup.NotFound($"client {query.ClientId}");
        var lists = await store.ListListsAsync(clientId, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ListSummaryView>>([.. lists.Select(ListSummaryView.Of)]);
    }

    private static async Task<Results<Ok<ListView>, ProblemHttpResult>> GetAsync(int id, Caller caller, ListStore store, ListLinks links, CancellationToken cancellationToken) =>
        await FindAsync(store, caller, id, cancellationToken) is { } list ? TypedResults.Ok(ListView.Of(list, links.SubscribeUrl(list.Id))) : ApiGroup.NotFound($"list {id}");

    private static async Task<Results<Created<ListView>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        ListCreate body, Caller caller, ListStore store, AccountStore accounts, ListLinks links, CancellationToken cancellationToken)
    {
        var requested = body.ClientId ?? caller.ClientScope;
        if (requested is not { } wanted)
            return ApiGroup.Invalid("clientId", "clientId is required: the id of the client that owns the list.");
        if (!ClientScope.TryApply(caller, wanted, out _) || await ClientsApi.FindAsync(accounts, wanted, cancellationToken) is null)
            return ApiGroup.NotFound($"client {wanted}");
        var list = await store.CreateListAsync(wanted, new NewList(body.Address ?? "", body.Name ?? "", body.Description, body.Posters ?? [], body.PendingLifetimeHours), caller.Actor, cancellationToken);
        return TypedResults.Created($"{ApiGroup.Prefix}/lists/{list.Id}", ListView.Of(list, links.SubscribeUrl(list.Id)));
    }

    private static async Task<Results<Ok<ListView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, ListUpdate body, Caller caller, ListStore store, ListLinks links, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"list {id}");
        var problems = new QueryProblems();
        var status = problems.Enum<ListStatus>(body.Status, "status");
        if (problems.Any)
            return problems.Problem();
        var list = await store.UpdateListAsync(id, new ListChange(body.Name, body.Description, body.Posters, body.PendingLifetimeHours, status), caller.Actor, cancellationToken);
        return TypedResults.Ok(ListView.Of(list, links.SubscribeUrl(list.Id)));
    }

    private static async Task<Results<Ok<Page<MemberView>>, ValidationProblem, ProblemHttpResult>> MembersAsync(
        int id, [AsParameters] MemberListQuery query, Caller caller, ListStore store, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var status = problems.Enum<MemberStatus>(query.Status, "status");
        var limit = problems.Limit(query.Limit);
        if (problems.Any)
            return problems.Problem();
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"list {id}");
        var page = await store.PageMembersAsync(id, status, query.Q, query.Cursor, limit, cancellationToken);
        return TypedResults.Ok(page.Map(MemberView.Of));
    }

    private static async Task<Results<Ok<MemberDetailView>, ProblemHttpResult>> MemberAsync(
        int id, int memberId, Caller caller, ListStore store, CancellationToken cancellationToken)
    {
        if (await FindMemberAsync(store, caller, id, memberId, cancellationToken) is not { } member)
            return ApiGroup.NotFound($"member {memberId} of list {id}");
        return TypedResults.Ok(await DetailAsync(store, member, cancellationToken));
    }

    internal static async Task<MemberDetailView> DetailAsync(ListStore store, ListMember member, CancellationToken cancellationToken)
    {
        var history = await store.MemberHistoryAsync(member.Id, cancellationToken);
        var bounces = await store.BouncesOfMemberAsync(member.Id, cancellationToken);
        return new MemberDetailView(MemberView.Of(member), ConsentView.Of(member), member.BounceScore, member.LastBounceAt,
            [.. history.Select(MemberEventView.Of)], [.. bounces.Select(BounceView.Of)]);
    }

    private static async Task<Results<Ok<MemberView>, ProblemHttpResult>> UnsubscribeAsync(
        int id, int memberId, Caller caller, ListStore store, CancellationToken cancellationToken)
    {
        if (await FindMemberAsync(store, caller, id, memberId, cancellationToken) is not { } member)
            return ApiGroup.NotFound($"member {memberId} of list {id}");
        return TypedResults.Ok(MemberView.Of(await store.RemoveMemberAsync(id, member.Address, caller.Actor, cancellationToken)));
    }

    private static async Task<Results<Accepted<SubscriptionView>, ValidationProblem, ProblemHttpResult>> SubscribeAsync(
        int id, SubscriptionCreate body, Caller caller, ListStore store, ListService lists, AuditLog audit, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"list {id}");
        if (string.IsNullOrWhiteSpace(body.Address))
            return ApiGroup.Invalid("address", "address is required: the address to subscribe.");
        var result = await lists.RequestAsync(id, body.Address, new ConsentSource("api", body.RequestedFrom ?? caller.Address, body.UserAgent), cancellationToken);
        await audit.RecordAsync(caller.Actor, "list.member.request", "list", id,
            new { address = result.Member.Address, requestedFrom = body.RequestedFrom, confirmationSent = result.SendConfirmation }, cancellationToken);
        return TypedResults.Accepted($"{ApiGroup.Prefix}/lists/{id}/members/{result.Member.Id}",
            new SubscriptionView(MemberView.Of(result.Member), result.SendConfirmation, result.AlreadyConfirmed));
    }

    private static async Task<Results<Ok<ImportView>, ValidationProblem, ProblemHttpResult>> ImportAsync(
        int id, ImportCreate body, Caller caller, ListStore store, ListService lists, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"list {id}");
        if (string.IsNullOrWhiteSpace(body.Source))
            return ApiGroup.Invalid("source", "source is required: where the addresses came from, kept in each member's consent record.");
        if (body.Addresses is not { Count: > 0 } addresses)
            return ApiGroup.Invalid("addresses", "addresses is required: one or more addresses to import.");
        var result = await lists.ImportAsync(id, addresses, body.Source.Trim(), caller.Actor, cancellationToken);
        return TypedResults.Ok(new ImportView(result.Added, result.AlreadyMembers, result.Invalid));
    }

    private static async Task<Results<Ok<IReadOnlyList<PostView>>, ProblemHttpResult>> PostsAsync(int id, Caller caller, ListStore store, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"list {id}");
        var posts = await store.ListPostsAsync(id, 50, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<PostView>>([.. posts.Select(PostView.Of)]);
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> RawAsync(long id, Caller caller, ListStore store, CancellationToken cancellationToken)
    {
        if (await FindBounceAsync(store, caller, id, cancellationToken) is not { } bounce)
            return ApiGroup.NotFound($"bounce {id}");
        return TypedResults.File(bounce.Raw, "message/rfc822", $"bounce-{id}.eml");
    }

    /// <summary>
    /// A bounce as an MTA hands it over: the raw message is the body. The outcome says what it was and
    /// what it did; a message that is no bounce is kept and answered 200 with its kind, as LMTP takes it.
    /// </summary>
    private static async Task<Results<Accepted<ListPostSummary>, ValidationProblem, ProblemHttpResult>> PostAsync(
        int id, HttpContext http, string? from, Caller caller, ListStore store, AccountStore accounts, ListDelivery delivery, AuditLog audit, WebOptions options, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is not { } list)
            return ApiGroup.NotFound($"list {id}");
        var poster = from?.Trim().ToLowerInvariant() ?? "";
        if (!list.IsPoster(poster))
            return ApiGroup.Invalid("from", $"'{poster}' is not an allowed poster of {list.Address}.");
        var type = http.Request.ContentType is { } t ? t.Split(';')[0].Trim().ToLowerInvariant() : null;
        if (type is not ("message/rfc822" or "text/plain" or "application/octet-stream"))
        {
            return TypedResults.Problem(title: "Unsupported media type", statusCode: StatusCodes.Status415UnsupportedMediaType,
                detail: "Send the post as the request body with Content-Type message/rfc822.");
        }

        if (await ReadBodyAsync(http.Request, options.MaxRequestBodyBytes, cancellationToken) is not { } raw)
        {
            return TypedResults.Problem(title: "Request body too large", statusCode: StatusCodes.Status413PayloadTooLarge,
                detail: $"A post may have at most {options.MaxRequestBodyBytes} bytes (Web:MaxRequestBodyBytes).");
        }

        MimeKit.MimeMessage message;
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            message = await MimeKit.MimeMessage.LoadAsync(stream, cancellationToken);
        }
        catch (FormatException e)
        {
            return ApiGroup.Invalid("body", "The post is not a readable message: " + e.Message);
        }

        var mailboxId = await accounts.ResolveMailboxIdAsync(poster, cancellationToken);
        var post = await store.EnqueuePostAsync(list.Id, mailboxId, message.Subject ?? "", message.MessageId, raw, cancellationToken);
        await audit.RecordAsync(caller.Actor, "list.post", "list", list.Id, new { post = post.Id, from = poster, subject = post.Subject }, cancellationToken);
        delivery.Poke();
        return TypedResults.Accepted($"{ApiGroup.Prefix}/lists/{list.Id}/posts",
            new ListPostSummary(post.Id, post.ListId, post.MailboxId, post.Subject, post.ReceivedAt, post.Status, 0, 0, null, null));
    }

    private static async Task<Results<Ok<BounceOutcome>, ProblemHttpResult>> IngestAsync(
        HttpContext http, string? recipient, Caller caller, ListService lists, AuditLog audit, WebOptions options, CancellationToken cancellationToken)
    {
        var type = http.Request.ContentType is { } t ? t.Split(';')[0].Trim().ToLowerInvariant() : null;
        if (type is not ("message/rfc822" or "text/plain" or "application/octet-stream"))
        {
            return TypedResults.Problem(title: "Unsupported media type", statusCode: StatusCodes.Status415UnsupportedMediaType,
                detail: "Send the bounce as the request body with Content-Type message/rfc822, text/plain or application/octet-stream.");
        }

        if (await ReadBodyAsync(http.Request, options.MaxRequestBodyBytes, cancellationToken) is not { } raw)
        {
            return TypedResults.Problem(title: "Request body too large", statusCode: StatusCodes.Status413PayloadTooLarge,
                detail: $"A bounce may have at most {options.MaxRequestBodyBytes} bytes (Web:MaxRequestBodyBytes).");
        }

        var outcome = await lists.IngestBounceAsync(raw, "http", string.IsNullOrWhiteSpace(recipient) ? null : recipient.Trim(), cancellationToken);
        await audit.RecordAsync(caller.Actor, "bounce.ingest", "bounce", null,
            new { bounce = outcome.BounceMessageId, kind = outcome.Kind, recipient, members = outcome.Changes.Count, complaint = outcome.Complaint?.ComplaintId, attribution = outcome.Complaint?.Attribution }, cancellationToken);
        if (outcome.Complaint?.Error is { } error)
        {
            // Kept as received (the bounce id says where), but a report that cannot be checked is attributed to no one.
            return TypedResults.Problem(title: "Malformed ARF report", statusCode: StatusCodes.Status422UnprocessableEntity,
                detail: $"{error}. The message is kept as bounce {outcome.BounceMessageId}; no complaint was recorded.");
        }

        return TypedResults.Ok(outcome);
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
            return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                    return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.ToArray();
    }

    /// <summary>The list when it exists and the caller may see its client; null otherwise (both answer 404).</summary>
    internal static async Task<MailingList?> FindAsync(ListStore store, Caller caller, int id, CancellationToken cancellationToken)
    {
        try
        {
            var list = await store.GetListAsync(id, cancellationToken);
            return caller.CanSee(list.ClientId) ? list : null;
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return null;
        }
    }

    internal static async Task<ListMember?> FindMemberAsync(ListStore store, Caller caller, int listId, int memberId, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, listId, cancellationToken) is null)
            return null;
        var member = await store.GetMemberAsync(memberId, cancellationToken);
        return member?.ListId == listId ? member : null;
    }

    /// <summary>A kept bounce the caller may read: an operator any, a client administrator those about its own lists.</summary>
    internal static async Task<BounceMessage?> FindBounceAsync(ListStore store, Caller caller, long id, CancellationToken cancellationToken)
    {
        if (caller.ClientScope is not null)
        {
            if (await store.ListOfBounceAsync(id, cancellationToken) is not { } listId || await FindAsync(store, caller, listId, cancellationToken) is null)
                return null;
        }

        return await store.GetBounceMessageAsync(id, cancellationToken);
    }
}
