using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Floodgate.Storage;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.ConsoleLoad;

internal static partial class Program
{
    private static readonly string[] DefaultPages =
    [
        "/", "/Clients", "/Clients/{client}", "/Domains/{domain}", "/Mailboxes/{mailbox}", "/Calls", "/Incidents",
        "/Incidents/{incident}", "/Transactions", "/Transactions?mailbox={mailbox}", "/Audit", "/Plans",
        "/Notifications", "/Counters/mailbox/{mailbox}",
        "/api/v1/transactions?limit=50", "/api/v1/mailboxes?limit=50", "/api/v1/incidents?limit=50", "/api/v1/offenses?limit=50",
        "/api/v1/mailboxes/{mailbox}/counters",
    ];

    private static readonly string[] DefaultPortalPages = ["/Portal", "/Portal/Incidents/{clientIncident}"];

    private static async Task<int> MeasureAsync(Dictionary<string, string> o)
    {
        var web = new Uri(o["web"]);
        var requests = Number(o, "requests", 200);
        var concurrency = Number(o, "concurrency", 4);
        var warmup = Number(o, "warmup", 100);
        var pages = o.TryGetValue("pages", out var p) ? p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : DefaultPages;
        var factory = FloodgateDb.CreateFactory(FloodgateDb.SqliteConnectionString(o["data"]));
        Ids ids;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var firstClient = await db.Clients.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Id).FirstAsync();
            ids = new Ids(
                await db.Clients.AsNoTracking().Select(c => c.Id).ToArrayAsync(),
                await db.Domains.AsNoTracking().Select(d => d.Id).ToArrayAsync(),
                await db.Mailboxes.AsNoTracking().Select(m => m.Id).ToArrayAsync(),
                await db.Incidents.AsNoTracking().Select(i => i.Id).ToArrayAsync(),
                await db.Incidents.AsNoTracking().Where(i => i.ClientId == firstClient).Select(i => i.Id).ToArrayAsync());
        }

        var failed = false;
        using (var operatorSession = await SignInAsync(web, OperatorLogin))
        {
            foreach (var page in pages)
                failed |= !await TimeAsync(operatorSession, page, ids, requests, concurrency, warmup);
        }

        using (var clientSession = await SignInAsync(web, ClientLogin))
        {
            foreach (var page in DefaultPortalPages)
            {
                if (page.Contains("{clientIncident}", StringComparison.Ordinal) && ids.ClientIncidents.Length == 0)
                    continue;
                failed |= !await TimeAsync(clientSession, page, ids, requests, concurrency, warmup);
            }
        }

        return failed ? 1 : 0;
    }

    private sealed record Ids(int[] Clients, int[] Domains, int[] Mailboxes, long[] Incidents, long[] ClientIncidents)
    {
        public string Fill(string page, Random random) => page
            .Replace("{client}", Pick(Clients, random), StringComparison.Ordinal)
            .Replace("{domain}", Pick(Domains, random), StringComparison.Ordinal)
            .Replace("{mailbox}", Pick(Mailboxes, random), StringComparison.Ordinal)
            .Replace("{incident}", Pick(Incidents, random), StringComparison.Ordinal)
            .Replace("{clientIncident}", Pick(ClientIncidents, random), StringComparison.Ordinal);

        private static string Pick<T>(T[] values, Random random) where T : IFormattable =>
            values.Length == 0 ? "0" : values[random.Next(values.Length)].ToString(null, CultureInfo.InvariantCulture);
    }

    private static async Task<bool> TimeAsync(HttpClient http, string page, Ids ids, int requests, int concurrency, int warmup)
    {
        var random = new Random(page.Length);
        for (var i = 0; i < warmup; i++)
        {
            using var response = await http.GetAsync(ids.Fill(page, random));
        }

        var times = new List<double>(requests);
        var errors = 0;
        string? firstError = null;
        var next = 0;
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            var mine = new Random(w * 7919 + page.Length);
            while (Interlocked.Increment(ref next) <= requests)
            {
                var url = ids.Fill(page, mine);
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync(url);
                var body = await response.Content.ReadAsByteArrayAsync();
                watch.Stop();
                lock (times)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        errors++;
                        firstError ??= $"{url}: {(int)response.StatusCode}";
                    }
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        times.Sort();
        double At(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{page,-40} n={times.Count} c={concurrency}  p50 {At(0.50),7:0.0} ms  p90 {At(0.90),7:0.0} ms  p99 {At(0.99),7:0.0} ms  max {times[^1],7:0.0} ms  errors {errors}{(firstError is null ? string.Empty : "  first: " + firstError)}"));
        return errors == 0;
    }

    private static async Task<HttpClient> SignInAsync(Uri web, string login)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var http = new HttpClient(handler) { BaseAddress = web };
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var page = await http.GetStringAsync("/login");
        var token = TokenField().Match(page).Groups[1].Value;
        var response = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Login"] = login,
            ["Password"] = Password,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"sign-in of {login} failed: {(int)response.StatusCode}");
        return http;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
