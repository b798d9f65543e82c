using System.Globalization;
using System.Text;
using Floodgate.Storage;
using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Microsoft.AspNetCore.Html;

namespace Floodgate.Web.Shared;

/// <summary>Where the list screens link to: /Lists in the console, /Portal/Lists (with an operator's clientId) in the portal.</summary>
public sealed record ListScreenLinks(string Base, int? ClientId)
{
    public string To(string path = "") =>
        Base + path + (ClientId is { } id ? (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "clientId=" + id.ToString(CultureInfo.InvariantCulture) : string.Empty);
}

/// <summary>One list as its screen shows it: settings, counts, a page of members, recent posts.</summary>
public sealed record ListPanel(MailingList List, ListSummary Counts, Page<ListMember> Members, IReadOnlyList<ListPostSummary> Posts, string SubscribeUrl, MemberStatus? Status, string? Search, bool CanManage, ListScreenLinks Links)
{
    public const int PageSize = 50;

    public string Posters => string.Join("\n", ListView.PostersOf(List));

    public static async Task<ListPanel> LoadAsync(ListStore store, Lists.ListLinks links, MailingList list, MemberStatus? status, string? search, long? cursor, bool canManage, ListScreenLinks screens, CancellationToken cancellationToken)
    {
        var counts = (await store.ListListsAsync(list.ClientId, cancellationToken)).First(l => l.Id == list.Id);
        var members = await store.PageMembersAsync(list.Id, status, search, cursor, PageSize, cancellationToken);
        var posts = await store.ListPostsAsync(list.Id, 20, cancellationToken);
        return new ListPanel(list, counts, members, posts, links.SubscribeUrl(list.Id), status, search, canManage, screens);
    }
}

/// <summary>A member's screen: its consent record, its history and its bounces.</summary>
public sealed record MemberPanel(MailingList List, MemberDetailView Detail, bool CanManage, ListScreenLinks Links);

/// <summary>The list screens' small pictures.</summary>
public static class ListCharts
{
    /// <summary>A bar of the members by status (confirmed, pending, disabled), each part as wide as its share; with a title per part for the numbers.</summary>
    public static IHtmlContent StatusBar(ListSummary counts)
    {
        (string Label, int Count, string Color)[] parts =
        [
            ("confirmed", counts.Confirmed, "#2e7d32"),
            ("pending", counts.Pending, "#f9a825"),
            ("disabled", counts.Disabled, "#c62828"),
        ];
        var total = parts.Sum(p => p.Count);
        var svg = new StringBuilder("<svg class=\"status-bar\" role=\"img\" width=\"300\" height=\"14\" viewBox=\"0 0 300 14\" aria-label=\"");
        svg.Append(string.Join(", ", parts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Count} {p.Label}")))).Append("\">");
        if (total == 0)
        {
            svg.Append("<rect x=\"0\" y=\"0\" width=\"300\" height=\"14\" fill=\"#ddd\"><title>no members</title></rect>");
        }
        else
        {
            var x = 0.0;
            foreach (var (label, count, color) in parts)
            {
                if (count == 0)
                    continue;
                var width = 300.0 * count / total;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"0\" width=\"{width:0.##}\" height=\"14\" fill=\"{color}\"><title>{count} {label}</title></rect>");
                x += width;
            }
        }

        return new HtmlString(svg.Append("</svg>").ToString());
    }
}

/// <summary>The table of lists, with their member counts.</summary>
public sealed record ListTable(IReadOnlyList<ListSummary> Lists, ListScreenLinks Links);

/// <summary>The changes the list screens offer, the same from the console and the portal; the page checks the caller and the list's client first.</summary>
public static class ListForms
{
    public static Task SaveSettingsAsync(ListStore store, int listId, string? name, string? description, string? posters, int? pendingLifetimeHours, bool closed, string actor, CancellationToken cancellationToken) =>
        store.UpdateListAsync(listId, new ListChange(name ?? string.Empty, description ?? string.Empty, Lines(posters), pendingLifetimeHours, closed ? ListStatus.Closed : ListStatus.Active), actor, cancellationToken);

    public static async Task<string> ImportAsync(Lists.ListService lists, int listId, string? source, string? addresses, string actor, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(source))
            throw new Storage.Accounts.AccountException(Storage.Accounts.AccountError.Invalid, "Not imported: say where the addresses come from.");
        var result = await lists.ImportAsync(listId, Lines(addresses), source.Trim(), actor, cancellationToken);
        return string.Create(CultureInfo.InvariantCulture,
            $"Imported: {result.Added} pending and sent a confirmation, {result.AlreadyMembers} on the list already{(result.Invalid.Count > 0 ? ", not addresses: " + string.Join(", ", result.Invalid) : string.Empty)}.");
    }

    /// <summary>Unsubscribes a member of the list; false when the member is not of this list.</summary>
    public static async Task<bool> UnsubscribeAsync(ListStore store, int listId, int memberId, string actor, CancellationToken cancellationToken)
    {
        if (await store.GetMemberAsync(memberId, cancellationToken) is not { } member || member.ListId != listId)
            return false;
        await store.RemoveMemberAsync(listId, member.Address, actor, cancellationToken);
        return true;
    }

    /// <summary>A kept bounce as text, for reading in the browser (text/plain: nothing in it runs).</summary>
    public static string AsText(BounceMessage bounce) => Encoding.UTF8.GetString(bounce.Raw);

    private static string[] Lines(string? text) =>
        (text ?? string.Empty).Split(['\n', '\r', ',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
