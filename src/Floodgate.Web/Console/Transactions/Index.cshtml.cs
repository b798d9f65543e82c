using System.Globalization;
using Floodgate.Core.Policy;
using Floodgate.Storage.Transactions;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Transactions;

/// <summary>
/// The transaction log, filtered and paged by (time, id) keyset, 50 a page. Without a time range it
/// reads the last 24 hours, so a filter on an unindexed column scans one day of the (Time) index, not the log.
/// </summary>
public sealed class IndexModel(TransactionSearch search, TimeProvider time) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)]
    public string? Mailbox { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? Client { get; set; }

    [BindProperty(SupportsGet = true)]
    public Outcome? Outcome { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Door { get; set; }

    /// <summary>UTC, as an HTML datetime-local field sends it ("2026-12-03T14:00").</summary>
    [BindProperty(SupportsGet = true)]
    public string? Since { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Until { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? After { get; set; }

    public TransactionPage Result { get; private set; } = null!;

    public string? Problem { get; private set; }

    public DateTimeOffset From { get; private set; }

    public string? NextUrl { get; private set; }

    public static readonly string[] Doors = ["gateway", "policy", "milter", "list"];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var since = ParseTime(Since, "since", problems) ?? time.GetUtcNow().AddHours(-24);
        var until = ParseTime(Until, "until", problems);
        TransactionCursor? after = null;
        if (!string.IsNullOrEmpty(After))
        {
            if (TransactionCursor.TryParse(After, out var cursor))
                after = cursor;
            else
                problems.Add("after: not a page cursor of this list; start again from the first page");
        }

        if (Door is not null && !Doors.Contains(Door, StringComparer.OrdinalIgnoreCase))
            problems.Add($"door: one of {string.Join(", ", Doors)}");
        if (!ModelState.IsValid)
            problems.AddRange(ModelState.Where(e => e.Value?.Errors.Count > 0).Select(e => $"{e.Key.ToLowerInvariant()}: not a valid value"));
        Problem = problems.Count > 0 ? string.Join("; ", problems) + "." : null;

        From = since;
        Result = await search.PageAsync(new TransactionFilter(Mailbox, Client, Outcome, Door, since, until, after, PageSize), cancellationToken);
        if (Result.Next is { } next)
        {
            var query = Request.Query.Where(q => q.Key != "after").ToDictionary(q => q.Key, q => q.Value.ToString());
            query["after"] = next.ToString();
            NextUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/Transactions", query!);
        }
    }

    private static DateTimeOffset? ParseTime(string? text, string field, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        problems.Add($"{field}: a date and time such as 2026-12-03T14:00 (UTC)");
        return null;
    }
}
