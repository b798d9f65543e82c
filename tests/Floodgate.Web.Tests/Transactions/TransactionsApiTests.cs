using System.Net;
using Floodgate.Core.Policy;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Transactions;

public sealed class TransactionsApiTests : IClassFixture<ServeFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private readonly TestServe _serve;

    public TransactionsApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task TheLogFiltersByVerdictDoorMailboxAndTimeRange()
    {
        using var http = await _serve.ApiClientAsync(WebRole.AbuseDesk);
        var (clientId, domainId, mailboxId, address) = await SeedAsync();
        await _serve.AddTransactionsAsync(
            AccountsHarness.Transaction(mailboxId, address, domainId, clientId, T0, Outcome.Accepted, "gateway"),
            AccountsHarness.Transaction(mailboxId, address, domainId, clientId, T0.AddMinutes(10), Outcome.Held, "milter"),
            AccountsHarness.Transaction(mailboxId, address, domainId, clientId, T0.AddMinutes(20), Outcome.Held, "policy"),
            AccountsHarness.Transaction(mailboxId, address, domainId, clientId, T0.AddMinutes(30), Outcome.Rejected, "policy"));

        async Task<List<string>> Query(string filter) =>
            [.. (await (await http.GetAsync($"/api/v1/transactions?clientId={clientId}&{filter}")).ReadAsync<Page<TransactionView>>()).Items.Select(t => $"{t.Door} {t.Verdict}")];

        Assert.Equal(["policy Held", "milter Held"], await Query("verdict=held"));
        Assert.Equal(["policy Rejected", "policy Held"], await Query("door=Policy"));
        Assert.Equal(["policy Held", "milter Held"], await Query($"since={Iso(T0.AddMinutes(10))}&until={Iso(T0.AddMinutes(30))}"));
        Assert.Equal(4, (await Query($"mailboxId={mailboxId}")).Count);
        Assert.Equal(4, (await Query($"mailbox={Uri.EscapeDataString(address.ToUpperInvariant())}")).Count);
        Assert.Equal(4, (await Query($"domainId={domainId}")).Count);
    }

    [Fact]
    public async Task PagesAreNewestFirstAndWalkEveryTransactionOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.ReadOnly);
        var (clientId, domainId, mailboxId, address) = await SeedAsync();
        await _serve.AddTransactionsAsync([.. Enumerable.Range(0, 7).Select(i => AccountsHarness.Transaction(mailboxId, address, domainId, clientId, T0.AddMinutes(i)))]);

        var seen = new List<TransactionView>();
        long? cursor = null;
        do
        {
            var page = await (await http.GetAsync($"/api/v1/transactions?clientId={clientId}&limit=3{(cursor is null ? "" : $"&cursor={cursor}")}")).ReadAsync<Page<TransactionView>>();
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(7, seen.Select(t => t.Id).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(t => t.Id).Select(t => t.Id), seen.Select(t => t.Id));
        Assert.Equal(T0.AddMinutes(6), seen[0].Time);
    }

    [Fact]
    public async Task BadFiltersAnswer400NamingTheParameterAndWhatIsAllowed()
    {
        using var http = await _serve.ApiClientAsync(WebRole.ReadOnly);

        using var many = await http.GetAsync("/api/v1/transactions?verdict=lost&door=smtp&limit=501&since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z");
        using var number = await http.GetAsync("/api/v1/transactions?verdict=2");
        using var date = await http.GetAsync("/api/v1/transactions?since=yesterday");
        var body = await many.BodyAsync();

        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        Assert.Contains("verdict must be one of Accepted, Deferred, Rejected, Held", body, StringComparison.Ordinal);
        Assert.Contains("door must be one of gateway, policy, milter", body, StringComparison.Ordinal);
        Assert.Contains("limit must be between 1 and 500", body, StringComparison.Ordinal);
        Assert.Contains("until must be later than since", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, number.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, date.StatusCode);
        var dateBody = await date.BodyAsync();
        Assert.Contains("yesterday", dateBody, StringComparison.Ordinal);
        Assert.Contains("since", dateBody, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<(int ClientId, int DomainId, int MailboxId, string Address)> SeedAsync()
    {
        var domain = AccountsHarness.Unique("log") + ".example";
        var (clientId, domainId, mailboxId) = await _serve.SeedClientAsync(AccountsHarness.Unique("Log"), domain, "ann");
        return (clientId, domainId, mailboxId, "ann@" + domain);
    }

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
}
