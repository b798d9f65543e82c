using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Floodgate.Core.Accounts;
using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web;
using Floodgate.Web.Lists;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Benchmarks;

/// <summary>
/// One post to a list of MEMBERS confirmed members, delivered by <see cref="ListDelivery"/> as the
/// server does (pages of members from SQLite, the engine's windows per batch, one copy per member
/// with VERP), to a relay that counts (Floodgate's side alone) or to an SMTP sink (the wire too).
/// Reports recipients per second and the peak managed heap and RSS, sampled every 10 ms.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project bench/Floodgate.Benchmarks -- list-post [members] [--dkim] [--sink host:port]</c>;
/// with Postfix's sink: <c>smtp-sink -c 127.0.0.1:2526 1000 &amp;</c>.
/// </remarks>
internal static class ListPostLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var members = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var n) ? n : 100_000;
        var dkim = args.Contains("--dkim");
        var sinkAt = Array.IndexOf(args, "--sink");
        var sink = sinkAt >= 0 && sinkAt + 1 < args.Length ? args[sinkAt + 1] : null;
        var dir = Path.Combine(Path.GetTempPath(), "floodgate-list-post-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var time = TimeProvider.System;
            var factory = FloodgateDb.CreateFactory(FloodgateDb.SqliteConnectionString(dir));
            await FloodgateDb.InitializeAsync(factory);
            var accounts = new AccountStore(factory, new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 }), time);
            var client = await accounts.AddClientAsync(new NewClient("Acme", "Ann", "+1 555 010 0100", "ann@acme.example"), "bench");
            await accounts.AddDomainAsync(client.Id, "acme.example", "bench");
            var mailbox = await accounts.AddMailboxAsync(new NewMailbox("alice@acme.example"), "bench");

            // The windows must not stop the run: this measures delivery, not policy.
            var limits = new PlanLimits();
            foreach (var scope in new[] { limits.Mailbox, limits.Domain, limits.Client })
            {
                scope.MessagesPerHour = scope.ExternalRecipientsPerHour = scope.ExternalRecipientsPerDay = 10_000_000;
            }

            var plan = await accounts.AddPlanAsync("bulk", limits, "bench");
            await accounts.AssignPlanAsync(client.Id, plan.Id, "bench");

            var hygiene = new HygieneOptions();
            var lists = new ListStore(factory, time, hygiene);
            var list = await lists.CreateListAsync(client.Id, new NewList("news@acme.example", "Acme News", null, ["alice@acme.example"]), "bench");
            var seeding = Stopwatch.StartNew();
            await SeedMembersAsync(factory, list.Id, members);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {members:N0} confirmed members in {seeding.Elapsed.TotalSeconds:0.0} s"));

            var directory = new AccountDirectory();
            var snapshot = await accounts.LoadDirectoryAsync();
            directory.Apply(snapshot.Clients, snapshot.DefaultPlan.Limits, snapshot.Version);
            var engine = new PolicyEngine(directory, new InProcessCounterStore(), time, new PolicyOptions { SupportContact = "abuse@provider.test" });

            var options = new ListOptions();
            string? keyFile = null;
            if (dkim)
            {
                using var rsa = RSA.Create(2048);
                keyFile = Path.Combine(dir, "dkim.pem");
                await File.WriteAllTextAsync(keyFile, rsa.ExportRSAPrivateKeyPem());
                options.DkimKeys.Add(new DkimKeyOptions { Domain = "acme.example", Selector = "fg", KeyFile = keyFile });
            }

            var spool = new MessageSpool(new MessageSpoolOptions { Directory = Path.Combine(dir, "spool") });
            await using IMessageRelay relay = sink is null
                ? new CountingRelay()
                : new SmtpUpstreamRelay(new UpstreamOptions { Url = "smtp://" + sink }, NullLogger<SmtpUpstreamRelay>.Instance);
            var tokens = new ListTokens(await lists.GetOrCreateSigningKeyAsync("lists"));
            var links = new ListLinks(tokens, new WebOptions { PublicUrl = "https://lists.provider.test" }, options, time);
            var mailer = new ListMailer(relay, spool, links, time);
            var reputation = new BounceReputation(lists, time);
            var service = new ListService(lists, mailer, links, new BounceInbox(lists, tokens, time), reputation, time, NullLogger<ListService>.Instance);
            var delivery = new ListDelivery(service, new ListDirectory(lists), engine, relay, spool, options, time, NullLogger<ListDelivery>.Instance);

            var post = "From: Alice <alice@acme.example>\r\nTo: news@acme.example\r\nSubject: December news\r\nMessage-ID: <bench@acme.example>\r\n" +
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + string.Concat(Enumerable.Repeat("News of the month, with a paragraph of ordinary length to make a realistic body.\r\n", 30));
            await lists.EnqueuePostAsync(list.Id, mailbox.Id, "December news", "bench@acme.example", System.Text.Encoding.UTF8.GetBytes(post));

            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var rssBefore = Rss();
            long peakHeap = heapBefore, peakRss = rssBefore;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                    peakRss = Math.Max(peakRss, Rss());
                    try
                    {
                        await Task.Delay(10, sampling.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });

            var clock = Stopwatch.StartNew();
            await delivery.RunOnceAsync();
            clock.Stop();
            await sampling.CancelAsync();
            await sampler;
            var done = (await lists.ListPostsAsync(list.Id)).Single();
            var rate = done.Sent / clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"post to {members:N0} members ({(dkim ? "DKIM rsa-sha256 2048" : "no DKIM")}, relay {(sink is null ? "counting" : "smtp://" + sink)}): {done.Status}{(done.Detail is null ? "" : " (" + done.Detail + ")")}, {done.Sent:N0} sent, {done.Failed:N0} failed in {clock.Elapsed.TotalSeconds:0.0} s = {rate:N0} recipients/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"managed heap: {heapBefore / 1048576.0:0.0} MiB before, peak {peakHeap / 1048576.0:0.0} MiB; RSS {rssBefore / 1048576.0:0.0} MiB before, peak {peakRss / 1048576.0:0.0} MiB"));
            return done.Status == PostStatus.Done && done.Sent == members ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task SeedMembersAsync(IDbContextFactory<FloodgateDbContext> factory, int listId, int count)
    {
        var now = DateTimeOffset.UtcNow;
        for (var start = 0; start < count; start += 10_000)
        {
            await using var db = await factory.CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = start; i < Math.Min(count, start + 10_000); i++)
            {
                db.ListMembers.Add(new ListMember
                {
                    ListId = listId,
                    Address = string.Create(CultureInfo.InvariantCulture, $"member{i}@example{i % 1000}.org"),
                    Status = MemberStatus.Confirmed,
                    RequestedAt = now,
                    RequestMethod = "import",
                    ConfirmedAt = now,
                    ConfirmMethod = "web",
                    UpdatedAt = now,
                });
            }

            await db.SaveChangesAsync();
        }
    }

    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>Accepts every copy and reads it through once, as a relay would: Floodgate's side alone.</summary>
    private sealed class CountingRelay : IMessageRelay
    {
        public string Describe() => "counting relay";

        public ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, MessageContent message, CancellationToken cancellationToken)
        {
            if (!message.TryGetMemory(out var bytes) || bytes.Length == 0)
            {
                return ValueTask.FromResult(new RelayResult(Outcome.Rejected, 554, "5.6.0", "empty"));
            }

            return ValueTask.FromResult(RelayResult.Sent("counted"));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
