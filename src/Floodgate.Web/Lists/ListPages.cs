using System.Net;
using System.Text;
using Floodgate.Core.Lists;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Lists;

/// <summary>
/// The pages a member reaches from a list's mail or a client's web site, with no sign-in: subscribe,
/// confirm, unsubscribe, re-enable. A GET only shows a button, because link scanners and mail previews
/// follow links; the POST acts. The token is the only credential, so these carry no antiforgery token
/// (a forged request can only do what the link's owner asked for). Every value shown is HTML-encoded.
/// There is no rate limiter in the app yet: a subscription sends at most
/// <see cref="ListStore.MaxConfirmations"/> confirmations per address, once per <see cref="ListStore.ConfirmationInterval"/>.
/// </summary>
public static class ListPages
{
    public const string Prefix = "/l";

    /// <summary>RFC 8058 section 3.1: the body of a one-click unsubscribe POST.</summary>
    private const string OneClick = "List-Unsubscribe=One-Click";

    private const int MaxBodyPeek = 8 * 1024;

    /// <summary>A POST of the subscribe form: what the subscription rate limits count.</summary>
    public static bool IsSubscription(HttpContext http, out string listId)
    {
        listId = http.Request.RouteValues.TryGetValue("listId", out var id) ? id?.ToString() ?? string.Empty : string.Empty;
        return HttpMethods.IsPost(http.Request.Method) && listId.Length > 0
            && http.Request.Path.StartsWithSegments(Prefix, StringComparison.Ordinal)
            && http.Request.Path.Value!.EndsWith("/subscribe", StringComparison.Ordinal);
    }

    public static IEndpointRouteBuilder MapListPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(Prefix).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        pages.MapGet("/{listId:int}/subscribe", SubscribeFormAsync);
        pages.MapPost("/{listId:int}/subscribe", SubscribeAsync);
        pages.MapGet("/confirm/{token}", ConfirmFormAsync);
        pages.MapPost("/confirm/{token}", ConfirmAsync);
        pages.MapGet("/unsubscribe/{token}", UnsubscribeFormAsync);
        pages.MapPost("/unsubscribe/{token}", UnsubscribeAsync);
        pages.MapGet("/reenable/{token}", ReenableFormAsync);
        pages.MapPost("/reenable/{token}", ReenableAsync);
        return app;
    }

    private static async Task<ContentHttpResult> SubscribeFormAsync(int listId, ListStore store, CancellationToken cancellationToken)
    {
        if (await ActiveListAsync(store, listId, cancellationToken) is not { } list)
            return Html(StatusCodes.Status404NotFound, "No such list", "<p>There is no list here, or it takes no subscriptions.</p>");
        return Html(StatusCodes.Status200OK, "Subscribe to " + list.Name,
            $"""
            <p>{E(list.Description)}</p>
            <form method="post" action="{Prefix}/{list.Id}/subscribe">
                <label for="address">Your e-mail address</label>
                <input id="address" name="address" type="email" required maxlength="320" autocomplete="email">
                <p><button type="submit">Subscribe</button></p>
            </form>
            <p class="muted">You will be sent a message with a link to confirm: nothing else is sent until you do.</p>
            """);
    }

    private static async Task<ContentHttpResult> SubscribeAsync(int listId, HttpContext http, ListService lists, CancellationToken cancellationToken)
    {
        if (await ActiveListAsync(lists.Store, listId, cancellationToken) is not { } list)
            return Html(StatusCodes.Status404NotFound, "No such list", "<p>There is no list here, or it takes no subscriptions.</p>");
        var address = http.Request.HasFormContentType ? (await http.Request.ReadFormAsync(cancellationToken))["address"].ToString() : string.Empty;
        if (!AccountValidation.TryNormalizeAddress(address, out _, out _, out var error))
        {
            return Html(StatusCodes.Status400BadRequest, "Subscribe to " + list.Name,
                $"""<p class="error">That is not an e-mail address: {E(error)}.</p><p><a href="{Prefix}/{list.Id}/subscribe">Try again</a></p>""");
        }

        try
        {
            await lists.RequestAsync(listId, address, Source(http, "web"), cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.Invalid)
        {
            return Html(StatusCodes.Status400BadRequest, "Subscribe to " + list.Name, $"""<p class="error">{E(ex.Message)}</p>""");
        }

        // The same answer whether the address was new, pending or a member already: the page does not tell who is on the list.
        return Html(StatusCodes.Status200OK, "Check your mail",
            $"<p>If {E(address.Trim())} can join {E(list.Name)}, a message with a confirmation link is on its way to it. Open the link to confirm; until then nothing is sent.</p>");
    }

    private static async Task<ContentHttpResult> ConfirmFormAsync(string token, ListService lists, CancellationToken cancellationToken)
    {
        var (result, member, list) = await lists.PeekAsync(token, TokenPurpose.Confirm, cancellationToken);
        if (Refusal(result) is { } refused)
            return refused;
        if (member!.Status == MemberStatus.Confirmed)
            return Html(StatusCodes.Status200OK, list!.Name, $"<p>{E(member.Address)} is subscribed to {E(list.Name)} already.</p>");
        return Button(token, "confirm", list!.Name, $"<p>Subscribe {E(member.Address)} to {E(list.Name)} ({E(list.Address)})?</p>", "Confirm");
    }

    private static async Task<ContentHttpResult> ConfirmAsync(string token, HttpContext http, ListService lists, CancellationToken cancellationToken)
    {
        var (result, member) = await lists.ConfirmAsync(token, Source(http, "web"), cancellationToken);
        if (Refusal(result) is { } refused)
            return refused;
        if (result == LinkResult.NotApplicable)
            return Html(StatusCodes.Status410Gone, "Link expired", "<p>This link no longer applies: the address left the list since. Subscribe again to join.</p>");
        var list = await lists.Store.GetListAsync(member!.ListId, cancellationToken);
        return Html(StatusCodes.Status200OK, list.Name, $"<p>Thank you: {E(member.Address)} is subscribed to {E(list.Name)}.</p>");
    }

    private static async Task<ContentHttpResult> UnsubscribeFormAsync(string token, ListService lists, CancellationToken cancellationToken)
    {
        var (result, member, list) = await lists.PeekAsync(token, TokenPurpose.Unsubscribe, cancellationToken);
        if (Refusal(result) is { } refused)
            return refused;
        if (member!.Status == MemberStatus.Unsubscribed)
            return Html(StatusCodes.Status200OK, list!.Name, $"<p>{E(member.Address)} is not subscribed to {E(list.Name)}.</p>");
        return Button(token, "unsubscribe", list!.Name, $"<p>Unsubscribe {E(member.Address)} from {E(list.Name)} ({E(list.Address)})?</p>", "Unsubscribe");
    }

    /// <summary>
    /// RFC 8058: a mail client POSTs <c>List-Unsubscribe=One-Click</c> with no cookie and no token of
    /// ours. Whatever the body is (form, multipart, empty, another type), the POST unsubscribes: the
    /// signed link is the proof, and a refusal would leave someone on a list they asked to leave.
    /// </summary>
    private static async Task<ContentHttpResult> UnsubscribeAsync(string token, HttpContext http, ListService lists, CancellationToken cancellationToken)
    {
        var body = await PeekBodyAsync(http.Request, cancellationToken);
        var method = body.Contains(OneClick, StringComparison.OrdinalIgnoreCase) ? "one-click" : "web";
        var (result, member) = await lists.UnsubscribeAsync(token, Source(http, method), cancellationToken);
        if (Refusal(result) is { } refused)
            return refused;
        var list = await lists.Store.GetListAsync(member!.ListId, cancellationToken);
        return Html(StatusCodes.Status200OK, list.Name, $"<p>{E(member.Address)} is unsubscribed from {E(list.Name)}: it will be sent nothing more.</p>");
    }

    private static async Task<ContentHttpResult> ReenableFormAsync(string token, ListService lists, CancellationToken cancellationToken)
    {
        var (result, member, list) = await lists.PeekAsync(token, TokenPurpose.Reenable, cancellationToken);
        if (Refusal(result) is { } refused)
            return refused;
        if (member!.Status is not (MemberStatus.Disabled or MemberStatus.Confirmed))
            return Html(StatusCodes.Status410Gone, "Link expired", "<p>This link no longer applies: the address is no longer on the list. Subscribe again to join.</p>");
        if (member.Status == MemberStatus.Confirmed)
            return Html(StatusCodes.Status200OK, list!.Name, $"<p>{E(member.Address)} receives {E(list.Name)} already.</p>");
        return Button(token, "reenable", list!.Name, $"<p>Mail from {E(list.Name)} to {E(member.Address)} was paused because it bounced. Receive it again?</p>", "Re-enable");
    }

    private static async Task<ContentHttpResult> ReenableAsync(string token, HttpContext http, ListService lists, CancellationToken cancellationToken)
    {
        var (result, member) = await lists.ReenableAsync(token, Source(http, "web"), cancellationToken);
        if (Refusal(result) is { } refused)
            return refused;
        if (result == LinkResult.NotApplicable)
            return Html(StatusCodes.Status410Gone, "Link expired", "<p>This link no longer applies: the address is no longer on the list. Subscribe again to join.</p>");
        var list = await lists.Store.GetListAsync(member!.ListId, cancellationToken);
        return Html(StatusCodes.Status200OK, list.Name, $"<p>{E(member.Address)} receives {E(list.Name)} again.</p>");
    }

    private static ContentHttpResult? Refusal(LinkResult result) => result switch
    {
        LinkResult.Invalid => Html(StatusCodes.Status400BadRequest, "Link not valid", "<p>This link is not valid. Check that it was copied whole from the message.</p>"),
        LinkResult.Expired => Html(StatusCodes.Status410Gone, "Link expired", "<p>This link has expired; subscribe again to get a new one.</p>"),
        _ => null,
    };

    private static async Task<MailingList?> ActiveListAsync(ListStore store, int listId, CancellationToken cancellationToken)
    {
        try
        {
            var list = await store.GetListAsync(listId, cancellationToken);
            return list.Status == ListStatus.Active ? list : null;
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return null;
        }
    }

    /// <summary>The consent record's facts of a web request: the client address and the browser.</summary>
    private static ConsentSource Source(HttpContext http, string method) =>
        new(method, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null);

    /// <summary>The start of the body as text, whatever its type; never more than <see cref="MaxBodyPeek"/> bytes are read.</summary>
    private static async Task<string> PeekBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxBodyPeek];
        var total = 0;
        try
        {
            int read;
            while (total < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
                total += read;
        }
        catch (BadHttpRequestException)
        {
            // A body the server would not read (too large, cut off) still unsubscribes: the token decides.
        }

        return Encoding.Latin1.GetString(buffer, 0, total);
    }

    private static ContentHttpResult Button(string token, string action, string title, string text, string label) =>
        Html(StatusCodes.Status200OK, title,
            $"""
            {text}
            <form method="post" action="{Prefix}/{action}/{WebUtility.UrlEncode(token)}">
                <p><button type="submit">{E(label)}</button></p>
            </form>
            """);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static ContentHttpResult Html(int status, string title, string body) =>
        TypedResults.Content(
            $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <title>{E(title)}</title>
            <link rel="stylesheet" href="/assets/site.css">
            </head>
            <body>
            <main>
            <h1>{E(title)}</h1>
            {body}
            </main>
            </body>
            </html>
            """, "text/html; charset=utf-8", Encoding.UTF8, status);
}
