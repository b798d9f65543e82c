using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.ConsoleLoad;

/// <summary>
/// The console's latency at the issue's size: `seed` fills a data folder (clients, 10,000 mailboxes, a
/// million transactions over 30 days, incidents with evidence, operators); `measure` signs in to a
/// running `floodgate serve` on it and times each page (bench/load/console.sh runs both).
/// </summary>
internal static partial class Program
{
    private const string Usage = """
        Floodgate.ConsoleLoad
          seed --data DIR [--mailboxes 10000] [--per-domain 10] [--transactions 1000000] [--days 30] [--incidents 200] [--seed 1]
          measure --web http://127.0.0.1:8025 --data DIR [--requests 200] [--concurrency 4] [--warmup 20] [--pages "/,/Clients,..."]
              Placeholders in pages: {client} {domain} {mailbox} {incident} (a random id of each seeded kind).
              One line per page: p50, p90, p99, max in ms; exit code 1 when any request failed.
        """;

    public const string OperatorLogin = "bench-operator";
    public const string ClientLogin = "bench-client";
    public const string Password = "bench password 1234";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.WriteLine(Usage);
            return 2;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
            options[args[i].TrimStart('-')] = args[i + 1];
        return args[0] switch
        {
            "seed" => await SeedAsync(options),
            "measure" => await MeasureAsync(options),
            _ => Fail(Usage),
        };
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }

    private static int Number(Dictionary<string, string> o, string name, int fallback) =>
        o.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static async Task<int> SeedAsync(Dictionary<string, string> o)
    {
        var data = o["data"];
        var mailboxes = Number(o, "mailboxes", 10_000);
        var perDomain = Number(o, "per-domain", 10);
        var transactions = Number(o, "transactions", 1_000_000);
        var days = Number(o, "days", 30);
        var incidents = Number(o, "incidents", 200);
        var random = new Random(Number(o, "seed", 1));
        Directory.CreateDirectory(data);
        var factory = FloodgateDb.CreateFactory(FloodgateDb.SqliteConnectionString(data));
        await FloodgateDb.InitializeAsync(factory);
        var hasher = new PasswordHasher();
        var hash = hasher.Hash(Password);
        var now = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();

        // Accounts: a client per 5 domains, 10 mailboxes per domain; one shared hash (Argon2 per row would take minutes).
        var domainCount = (mailboxes + perDomain - 1) / perDomain;
        var clientCount = Math.Max(1, domainCount / 5);
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var clients = Enumerable.Range(0, clientCount).Select(i => new Client
            {
                Name = $"Client {i:D5}",
                ContactName = $"Contact {i}",
                ContactPhone = "+1 555 01" + (i % 100).ToString("D2", CultureInfo.InvariantCulture),
                ContactEmail = $"contact{i}@client{i}.example",
                CreatedAt = now.AddDays(-90),
            }).ToList();
            db.Clients.AddRange(clients);
            await db.SaveChangesAsync();
            var domains = Enumerable.Range(0, domainCount).Select(i => new Domain { ClientId = clients[i % clientCount].Id, Name = $"d{i:D5}.example", CreatedAt = now.AddDays(-90) }).ToList();
            db.Domains.AddRange(domains);
            await db.SaveChangesAsync();
            db.Mailboxes.AddRange(Enumerable.Range(0, mailboxes).Select(i => new Mailbox
            {
                DomainId = domains[i / perDomain].Id,
                Address = $"user{i % perDomain}@{domains[i / perDomain].Name}",
                PasswordHash = hash,
                CreatedAt = now.AddDays(-90),
            }));
            await db.SaveChangesAsync();
        }

        Console.WriteLine($"accounts: {clientCount} clients, {domainCount} domains, {mailboxes} mailboxes in {watch.Elapsed.TotalSeconds:0.0} s");

        // The log: a million rows over the days, most accepted, some deferred, refused or held.
        var accounts = new List<(int Mailbox, int Domain, int Client, string Address)>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            accounts = (await db.Mailboxes.AsNoTracking().Include(m => m.Domain).ToListAsync())
                .Select(m => (m.Id, m.DomainId, m.Domain!.ClientId, m.Address)).ToList();
        }

        watch.Restart();
        var span = TimeSpan.FromDays(days).Ticks;
        await using (var db = await factory.CreateDbContextAsync())
        {
            // EF's change tracker would take ten minutes for a million rows; one prepared INSERT in one
            // transaction takes seconds. Column names come from the model, so they follow its changes.
            var entity = db.Model.FindEntityType(typeof(TransactionRecord))!;
            var table = entity.GetTableName()!;
            var tableId = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table, null);
            string Column(string property) => entity.FindProperty(property)!.GetColumnName(tableId)!;
            string[] properties = ["Time", "MailboxId", "MailboxAddress", "DomainId", "ClientId", "ClientAddress", "FrontDoor", "EnvelopeSender",
                "RecipientCount", "ExternalRecipientCount", "RecipientDomains", "SizeBytes", "MessageId", "Verdict", "VerdictCode", "Counted", "Subject",
                "PolicyMicros", "RelayMicros", "TotalMicros"];
            var connection = (Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection();
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", properties.Select(p => "\"" + Column(p) + "\""))}) VALUES ({string.Join(", ", properties.Select((_, i) => "$p" + i))})";
            var parameters = properties.Select((_, i) => insert.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter("$p" + i, null))).ToArray();
            for (var i = 0; i < transactions; i++)
            {
                var a = accounts[random.Next(accounts.Count)];
                var roll = random.NextDouble();
                var verdict = roll < 0.93 ? Outcome.Accepted : roll < 0.97 ? Outcome.Deferred : roll < 0.99 ? Outcome.Rejected : Outcome.Held;
                var bulk = random.Next(10) == 0;
                var recipients = bulk ? random.Next(20, 201) : random.Next(1, 6);
                object?[] values =
                [
                    now.AddTicks(-(long)(random.NextDouble() * span)).ToUnixTimeMilliseconds(), a.Mailbox, a.Address, a.Domain, a.Client,
                    "203.0.113." + random.Next(1, 255).ToString(CultureInfo.InvariantCulture), "gateway", a.Address, recipients, recipients,
                    bulk ? "example.net,example.org" : null, random.Next(2_000, 80_000), $"{Guid.NewGuid():N}@bench", verdict.ToString(),
                    verdict == Outcome.Accepted ? "250" : verdict == Outcome.Deferred ? "451 4.7.1" : "550 5.7.1", 1, bulk ? "Newsletter " + random.Next(100) : null,
                    random.Next(50, 400), random.Next(200, 3000), random.Next(300, 3500),
                ];
                for (var k = 0; k < values.Length; k++)
                    parameters[k].Value = values[k] ?? DBNull.Value;
                await insert.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        Console.WriteLine($"transactions: {transactions} in {watch.Elapsed.TotalSeconds:0.0} s");

        // Incidents with evidence, through the store (as the detector records them).
        watch.Restart();
        var store = new EnforcementStore(factory, TimeProvider.System, new ContactTaskOptions(), new DamagesOptions());
        for (var i = 0; i < incidents; i++)
        {
            var a = accounts[random.Next(accounts.Count)];
            var evidence = Enumerable.Range(0, 4).Select(k => new EvidenceMessage(
                now.AddMinutes(-30 + k * 5), $"{Guid.NewGuid():N}@bench", 200, 200, 0.97, Outcome.Accepted, a.Mailbox)
            {
                Subject = $"Cheap watches {k}",
                DestinationDomains = "example.net,example.org",
            }).ToList();
            await store.RecordOffenseAsync(new NewOffense(now.AddMinutes(-i), a.Client, a.Domain, a.Mailbox, a.Address, LadderStep.SuspendMailbox, 3.2, NewOffense.Detector,
                [new Signal("repeat", 1, RuleMode.Enforce, "4 near-duplicates at the cap")], evidence, "Mass mailing: the same message to 200 recipients 4 times"), "detector");
        }

        Console.WriteLine($"incidents: {incidents} in {watch.Elapsed.TotalSeconds:0.0} s");

        var access = new AccessStore(factory, hasher, TimeProvider.System);
        await access.AddUserAsync(new NewWebUser(OperatorLogin, "Bench operator", WebRole.AbuseDesk, Password), "bench");
        await using (var db = await factory.CreateDbContextAsync())
        {
            var client = await db.Clients.AsNoTracking().OrderBy(c => c.Id).FirstAsync();
            await access.AddUserAsync(new NewWebUser(ClientLogin, "Bench client", WebRole.ClientAdministrator, Password, client.Id), "bench");
        }

        return 0;
    }
}
