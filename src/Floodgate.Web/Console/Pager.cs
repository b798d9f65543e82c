using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Floodgate.Web.Console;

/// <summary>
/// Numbered pages of a list, linking to the same URL with another "p" value ("page" is the route value
/// Razor Pages names the page with, and would win over the query's).
/// </summary>
public sealed record Pager(HttpRequest Request, int Page, int Pages, int Total)
{
    public string Url(int page)
    {
        var query = new QueryBuilder(Request.Query.Where(q => !string.Equals(q.Key, "p", StringComparison.OrdinalIgnoreCase)).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))))
        {
            { "p", page.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        return Request.Path + query.ToQueryString().Value;
    }
}
