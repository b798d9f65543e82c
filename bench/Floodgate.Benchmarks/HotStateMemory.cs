using System.Diagnostics;
using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;

namespace Floodgate.Benchmarks;

/// <summary>
/// Hot-state memory per active mailbox: an <see cref="AccountDirectory"/> and an
/// <see cref="InProcessCounterStore"/> filled with CLIENTS × MAILBOXES mailboxes (one domain per
/// client), every mailbox active (one RecordSent each, so it has windows, and so have its domain
/// and client). Managed heap from <see cref="GC.GetTotalMemory(bool)"/> (full collection) and RSS
/// from /proc/self/status, before and after each step.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project bench/Floodgate.Benchmarks -- hot-state [clients] [mailboxes-per-client]</c>.</remarks>
internal static class HotStateMemory
{
    public static int Run(string[] args)
    {
        var clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var perClient = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var mailboxes = clients * perClient;
        // As long as a stored Argon2id hash (97 characters), one string per mailbox as storage loads them;
        // the directory keeps it for AUTH.
        var hash = "$argon2id$v=19$m=19456,t=2,p=1$" + new string('s', 22) + "$" + new string('h', 43);

        var (heap0, rss0) = Measure();
        var directory = Fill(clients, perClient, hash);
        var (heap1, rss1) = Measure();

        var counters = new InProcessCounterStore();
        var engine = new PolicyEngine(directory, counters, TimeProvider.System, new PolicyOptions { SupportContact = "abuse@provider.test" });
        var now = DateTimeOffset.UtcNow;
        var tally = new TransactionTally { Recipients = 1, External = 1 };
        for (var id = 1; id <= mailboxes; id++)
        {
            if (!directory.TryGetMailbox(id, out var mailbox))
            {
                throw new InvalidOperationException($"mailbox {id} missing");
            }

            engine.RecordSent(mailbox.Id, mailbox.Domain.Id, mailbox.Client.Id, tally.External, tally.Internal, now);
        }

        var (heap2, rss2) = Measure();

        // The detector's state for a mailbox that has sent one external message: its profile (and,
        // since issue 11, its recipient memory), driven through a transaction as a door drives it.
        var detector = new Floodgate.Core.Detection.MassMailDetector(new Floodgate.Core.Detection.DetectionOptions());
        var detecting = new PolicyEngine(directory, counters, TimeProvider.System, new PolicyOptions { SupportContact = "abuse@provider.test" }, detector);
        var transaction = detecting.Open(Floodgate.Core.Transactions.Door.Gateway);
        for (var id = 1; id <= mailboxes; id++)
        {
            directory.TryGetMailbox(id, out var mailbox);
            transaction.Begin(mailbox, mailbox.Address, 0);
            transaction.AddRecipient(string.Create(CultureInfo.InvariantCulture, $"r{id}@example{id % 97}.net"));
            transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        }

        var (heap3, rss3) = Measure();
        GC.KeepAlive(directory);
        GC.KeepAlive(counters);
        GC.KeepAlive(detector);

        // RSS after the directory step still holds pages the GC kept from the input entities, so the
        // RSS column is the windows step alone (heap and RSS should then agree) and the total.
        Console.WriteLine($"| Mailboxes | Counter keys | Directory B/mailbox (heap) | Windows B/mailbox (heap) | Hot state B/mailbox (heap) | Windows B/mailbox (RSS) | Process RSS at end, MiB |");
        Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {mailboxes:N0} | {counters.Count:N0} | {(heap1 - heap0) / (double)mailboxes:F0} | {(heap2 - heap1) / (double)mailboxes:F0} | {(heap2 - heap0) / (double)mailboxes:F0} | {(rss2 - rss1) / (double)mailboxes:F0} | {rss2 / 1048576.0:F0} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"detector state of a mailbox that sent one external message: {(heap3 - heap2) / (double)mailboxes:F0} B/mailbox (heap), {(rss3 - rss2) / (double)mailboxes:F0} B/mailbox (RSS); {detector.ProfileCount:N0} profiles; RSS at end {rss3 / 1048576.0:F0} MiB"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"heap: {heap0 / 1048576.0:F1} MiB at start, {heap1 / 1048576.0:F1} MiB with the directory, {heap2 / 1048576.0:F1} MiB with the windows; RSS {rss0 / 1048576.0:F1} → {rss1 / 1048576.0:F1} → {rss2 / 1048576.0:F1} MiB"));
        return 0;
    }

    // Not inlined: the input entities (what storage loads) are garbage once this returns.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static AccountDirectory Fill(int clients, int perClient, string hash)
    {
        var directory = new AccountDirectory();
        directory.Apply(BuildEntities(clients, perClient, hash), new PlanLimits(), 1);
        return directory;
    }

    private static List<Client> BuildEntities(int clients, int perClient, string hash)
    {
        var plan = new Plan { Id = 1, Name = "default", Limits = new PlanLimits() };
        var list = new List<Client>(clients);
        var mailboxId = 1;
        for (var c = 1; c <= clients; c++)
        {
            var domain = new Domain { Id = c, ClientId = c, Name = $"client{c}.test" };
            for (var m = 0; m < perClient; m++)
            {
                var id = mailboxId++;
                var unique = string.Concat(hash.AsSpan(0, 90), id.ToString("D7", CultureInfo.InvariantCulture));
                domain.Mailboxes.Add(new Mailbox { Id = id, DomainId = c, Address = $"user{m}@client{c}.test", PasswordHash = unique });
            }

            list.Add(new Client
            {
                Id = c,
                Name = $"Client {c}",
                ContactName = "Contact",
                ContactPhone = "+1 555 0100",
                ContactEmail = $"contact@client{c}.test",
                Plan = plan,
                Domains = [domain],
            });
        }

        return list;
    }

    private static (long Heap, long Rss) Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return (GC.GetTotalMemory(forceFullCollection: true), Rss());
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

        return Process.GetCurrentProcess().WorkingSet64;
    }
}
