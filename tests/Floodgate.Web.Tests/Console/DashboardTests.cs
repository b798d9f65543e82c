using System.Net;
using System.Text.RegularExpressions;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Access;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Console;

/// <summary>The dashboard, the account pages' charts and the transaction list show mail really sent through the gateway.</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public async Task TheDashboardCountsMailSentThroughTheGateway()
    {
        await using var serve = await TestServe.StartAsync();
        await serve.SeedClientAsync("Acme", "acme.example", "ann");
        var hour = Hour();
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 2, "a");
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 3, "b");
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 4, "c");
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);

        var html = WebUtility.HtmlDecode(await session.Http.GetStringAsync("/"));
        var sameHour = hour == Hour();

        Assert.Equal("3", Tile(html, "messages"));
        Assert.Equal("9", Tile(html, "recipients"));
        Assert.Equal("3", Tile(html, "accepted"));
        Assert.Equal("0", Tile(html, "held"));

        // The current hour's bar and the current day's bar name the counts in their tooltips (unless the hour turned meanwhile).
        if (!sameHour)
            return;
        Assert.Contains($"<title>{hour}: accepted 3 · deferred 0 · rejected 0 · held 0 · total 3</title>", html, StringComparison.Ordinal);
        Assert.Contains($"<title>{hour}: accepted 9 · deferred 0 · rejected 0 · held 0 · total 9</title>", html, StringComparison.Ordinal);
        Assert.Contains("accepted 3 · deferred 0 · rejected 0 · held 0 · total 3</title>", html[html.IndexOf("last 7 days", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopSendersNameTheMailboxWithItsRecipientsAndStatus()
    {
        await using var serve = await TestServe.StartAsync();
        var (_, _, mailboxId) = await serve.SeedClientAsync("Acme", "acme.example", "ann");
        await serve.SeedClientAsync("Beta", "beta.example", "bea");
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 7, "a");
        await ConsoleWorld.SendAsync(serve, "bea@beta.example", 2, "b");
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Support);

        var html = WebUtility.HtmlDecode(await session.Http.GetStringAsync("/"));
        var lastHour = html[html.IndexOf("Top senders, last hour", StringComparison.Ordinal)..html.IndexOf("Top senders, last 24 hours", StringComparison.Ordinal)];

        Assert.True(lastHour.IndexOf("ann@acme.example", StringComparison.Ordinal) < lastHour.IndexOf("bea@beta.example", StringComparison.Ordinal), lastHour);
        Assert.Contains($"<a href=\"/Mailboxes/{mailboxId}\">ann@acme.example</a>", lastHour, StringComparison.Ordinal);
        Assert.Contains("<td class=\"right\">7</td>", lastHour, StringComparison.Ordinal);
        Assert.Contains("badge Active", lastHour, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMailboxPageChartsItsSendingAndItsCountersAgainstThePlan()
    {
        await using var serve = await TestServe.StartAsync();
        var (clientId, _, mailboxId) = await serve.SeedClientAsync("Acme", "acme.example", "ann");
        var hour = Hour();
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 5, "a");
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 6, "b");
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);

        var mailbox = WebUtility.HtmlDecode(await session.Http.GetStringAsync($"/Mailboxes/{mailboxId}"));
        var client = WebUtility.HtmlDecode(await session.Http.GetStringAsync($"/Clients/{clientId}"));
        var counters = WebUtility.HtmlDecode(await session.Http.GetStringAsync($"/Counters/mailbox/{mailboxId}"));

        // The default plan's mailbox windows: 600 messages and 1,000 external recipients an hour.
        Assert.Matches(CounterRow("messages in the last hour", "2", "600"), counters);
        Assert.Matches(CounterRow("external recipients in the last hour", "11", "1,000"), counters);
        Assert.Matches(CounterRow("external recipients in the last 24 h", "11", "3,000"), counters);
        Assert.True(Regex.IsMatch(counters, "in (5[0-9] min|1 h)<"), counters);
        Assert.Contains($"data-refresh=\"/Counters/mailbox/{mailboxId}\"", mailbox, StringComparison.Ordinal);

        // The current hour's bars (unless the hour turned while the test ran).
        if (hour != Hour())
            return;
        Assert.Contains($"<title>{hour}: accepted 2 · deferred or rejected 0 · held 0 · total 2</title>", mailbox, StringComparison.Ordinal);
        Assert.Contains($"<title>{hour}: recipients 11 · refused recipients 0</title>", mailbox, StringComparison.Ordinal);
        Assert.Contains($"<title>{hour}: recipients 11 · refused recipients 0</title>", client, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTransactionListFiltersByMailboxAndOutcome()
    {
        await using var serve = await TestServe.StartAsync();
        await serve.SeedClientAsync("Acme", "acme.example", "ann");
        await serve.SeedClientAsync("Beta", "beta.example", "bea");
        await ConsoleWorld.SendAsync(serve, "ann@acme.example", 2, "a");
        await ConsoleWorld.SendAsync(serve, "bea@beta.example", 3, "b");
        await WaitForLogAsync(serve, 2);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);

        var ann = await session.Http.GetStringAsync("/Transactions?Mailbox=ANN@acme.example");
        var rejected = await session.Http.GetStringAsync("/Transactions?Outcome=Rejected");
        var bad = await session.Http.GetAsync("/Transactions?Outcome=Splendid&Since=yesterday&After=x");

        Assert.Contains(">ann@acme.example</a>", ann, StringComparison.Ordinal);
        Assert.DoesNotContain("bea@beta.example", ann, StringComparison.Ordinal);
        Assert.Contains("No transaction.", rejected, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        var problem = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("since: a date and time such as", problem, StringComparison.Ordinal);
        Assert.Contains("after: not a page cursor", problem, StringComparison.Ordinal);
        Assert.Contains("outcome: not a valid value", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransactionPagesFollowEachOtherWithoutRepeatsOrGaps()
    {
        await using var serve = await TestServe.StartAsync();
        await serve.SeedClientAsync("Acme", "acme.example", "ann");
        for (var i = 0; i < 5; i++)
            await ConsoleWorld.SendAsync(serve, "ann@acme.example", 1, "m" + i);
        await WaitForLogAsync(serve, 5);
        var search = serve.Get<TransactionSearch>();

        var seen = new List<long>();
        TransactionCursor? after = null;
        var pages = 0;
        do
        {
            var page = await search.PageAsync(new TransactionFilter(Mailbox: "ann@acme.example", After: after, Limit: 2));
            seen.AddRange(page.Rows.Select(r => r.Id));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Distinct().Count());
        Assert.Equal(seen.OrderByDescending(id => id), seen);
    }

    [Fact]
    public async Task TheStatisticsAreRebuiltFromTheTransactionLogAfterARestart()
    {
        var data = Path.Combine(Path.GetTempPath(), "floodgate-web-" + Guid.NewGuid().ToString("N")[..12]);
        var first = await TestServe.StartAsync(dataDirectory: data);
        await first.SeedClientAsync("Acme", "acme.example", "ann");
        await ConsoleWorld.SendAsync(first, "ann@acme.example", 4, "a");
        await ConsoleWorld.SendAsync(first, "ann@acme.example", 5, "b");

        // Stopping serve flushes the transaction log; the data folder stays for the second serve.
        await first.Serve.DisposeAsync();
        await using var second = await TestServe.StartAsync(dataDirectory: data);
        var statistics = second.Get<TrafficStatistics>();
        await statistics.Loaded.WaitAsync(TimeSpan.FromSeconds(30));

        var (messages, recipients) = statistics.Totals(24);
        Assert.Equal(2, messages.Accepted);
        Assert.Equal(9, recipients.Accepted);
        Assert.Equal(9, statistics.TopSenders(10, SenderRanking.RecipientsLastHour).Single().RecipientsLastHour);
        using var session = await BrowserSession.SignedInAsync(second, WebRole.ReadOnly);
        Assert.Equal("9", Tile(WebUtility.HtmlDecode(await session.Http.GetStringAsync("/")), "recipients"));
    }

    private static string Hour() => DateTimeOffset.UtcNow.ToString("HH:00", System.Globalization.CultureInfo.InvariantCulture);

    private static string Tile(string html, string name)
    {
        var match = Regex.Match(html, $"<div class=\"tile\" id=\"tile-{name}\"><div class=\"n[^\"]*\">([^<]*)</div>");
        Assert.True(match.Success, $"no tile {name}");
        return match.Groups[1].Value;
    }

    private static string CounterRow(string window, string used, string limit) =>
        $"<td>{Regex.Escape(window)}</td>\\s*<td class=\"right\">{used}</td>\\s*<td class=\"right\">{Regex.Escape(limit)}</td>";

    private static async Task WaitForLogAsync(TestServe serve, int count)
    {
        var log = serve.Get<TransactionLog>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await log.QueryAsync(new TransactionQuery(Limit: 100))).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the transaction log did not reach {count} rows");
            await Task.Delay(50);
        }
    }
}
