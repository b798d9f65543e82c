using System.Diagnostics;
using System.Globalization;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Simulation;

/// <summary>What one scenario did and what Floodgate did to it.</summary>
public sealed record ScenarioResult(
    string Name,
    bool Legitimate,
    int MessagesAttempted,
    int MessagesRelayed,
    int PiecesRelayed,
    int Holds,
    int Refusals,
    int Offenses,
    TimeSpan? TimeToSuspension,
    string LastReply);

/// <summary>
/// Drives the real gateway (a `floodgate serve` process relaying to a sink) with traffic of the
/// kinds the policy talks about, with MailKit as the mail client. Every scenario has its own
/// client, so one scenario's offenses never climb another's ladder.
/// </summary>
public sealed class TrafficSimulator : IAsyncDisposable
{
    public const string Password = "correct horse";
    public const int Cap = 200;

    private readonly FloodgateProcess _floodgate;
    private readonly UpstreamSink _sink;

    private TrafficSimulator(FloodgateProcess floodgate, UpstreamSink sink)
    {
        _floodgate = floodgate;
        _sink = sink;
    }

    public static readonly string[] Clients = ["busy", "staff", "split", "news", "blast", "bust", "filler", "spun", "slow", "camp1", "camp2", "camp3", "camp4"];

    public static async Task<TrafficSimulator> StartAsync()
    {
        var sink = await UpstreamSink.StartAsync();
        var fg = new FloodgateProcess();
        var csv = new StringBuilder("address,password\n");
        foreach (var c in Clients)
        {
            await fg.CliOkAsync("client", "add", c, "--contact-name", $"{c} contact", "--contact-phone", "+1 555 0100", "--contact-email", $"it@{c}.test");
            await fg.CliOkAsync("domain", "add", $"{c}.test", "--client", c);
            csv.Append(CultureInfo.InvariantCulture, $"user@{c}.test,{Password}\n");
        }

        var file = Path.Combine(fg.DataDirectory, "mailboxes.csv");
        await File.WriteAllTextAsync(file, csv.ToString());
        await fg.CliOkAsync("mailbox", "import", file);
        await fg.StartAsync("--upstream", sink.Url);
        return new TrafficSimulator(fg, sink);
    }

    public FloodgateProcess Floodgate => _floodgate;

    public async Task<IReadOnlyList<ScenarioResult>> RunAllAsync()
    {
        var results = new List<ScenarioResult>
        {
            await BusyLegitimateUserAsync(),
            await AllStaffAnnouncementAsync(),
            await SplitAnnouncementAsync(),
            await WeeklyNewsletterAsync(),
            await BlastAsync(),
            await HashBustingAsync(),
            await FillerSpammerAsync(),
            await SpunSpammerAsync(),
            await SlowSpammerAsync(),
        };
        results.AddRange(await CampaignAsync());
        return results;
    }

    /// <summary>60 different messages to 1–5 people, inside and outside the company.</summary>
    public async Task<ScenarioResult> BusyLegitimateUserAsync()
    {
        var text = new TextGenerator(1);
        var random = new Random(11);
        var run = new Run("busy legitimate user", legitimate: true, "user@busy.test");
        for (var i = 0; i < 60 && !run.Suspended; i++)
        {
            var recipients = Enumerable.Range(0, random.Next(1, 6)).Select(k => random.Next(3) == 0 ? $"colleague{random.Next(40)}@busy.test" : $"contact{random.Next(500)}@partner{random.Next(30)}.example").Distinct().ToList();
            await SendAsync(run, Message(run.Sender, text.Subject(), text.Body(random.Next(3, 9))), recipients);
        }

        return await run.FinishAsync(this);
    }

    /// <summary>One announcement to 150 people of the company.</summary>
    public async Task<ScenarioResult> AllStaffAnnouncementAsync()
    {
        var text = new TextGenerator(2);
        var run = new Run("all-staff announcement (150 internal, once)", legitimate: true, "user@staff.test");
        await SendAsync(run, Message(run.Sender, "Office move on Monday", text.Body(8)), Recipients(150, "staff.test", "employee"));
        return await run.FinishAsync(this);
    }

    /// <summary>
    /// One announcement to 400 customers, split in two messages, with a working List-Unsubscribe as the
    /// policy asks of bulk mail; the sender stops when held.
    /// </summary>
    public async Task<ScenarioResult> SplitAnnouncementAsync()
    {
        var text = new TextGenerator(3);
        var run = new Run("split announcement (400 external in 2 messages, once, List-Unsubscribe)", legitimate: true, "user@split.test");
        var body = text.Body(10);
        var all = Recipients(400, "customers.example", "customer");
        await SendAsync(run, Announcement(run.Sender, "We have moved", body), all[..200]);
        await SendAsync(run, Announcement(run.Sender, "We have moved", body), all[200..]);
        return await run.FinishAsync(this);
    }

    /// <summary>The weekly newsletter with List-Unsubscribe, to 120 subscribers.</summary>
    public async Task<ScenarioResult> WeeklyNewsletterAsync()
    {
        var text = new TextGenerator(4);
        var run = new Run("weekly newsletter (120 external, List-Unsubscribe)", legitimate: true, "user@news.test");
        var message = Message(run.Sender, "News of the week", text.Body(12));
        message.Headers.Add("List-Unsubscribe", "<https://news.test/unsubscribe?id=1>, <mailto:unsubscribe@news.test>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        await SendAsync(run, message, Recipients(120, "subscribers.example", "reader"));
        return await run.FinishAsync(this);
    }

    /// <summary>A compromised mailbox sends one e-mail to 200 recipients again and again.</summary>
    public async Task<ScenarioResult> BlastAsync()
    {
        var run = new Run("compromised mailbox blasting (200 per copy)", legitimate: false, "user@blast.test");
        var body = Spam(new TextGenerator(5));
        for (var i = 0; i < 12 && !run.Suspended; i++)
        {
            await SendAsync(run, Message(run.Sender, "Your account statement", body), Recipients(Cap, $"victims{i}.example", "v"));
        }

        return await run.FinishAsync(this);
    }

    /// <summary>The same spam with a random token and greeting per copy and a changing subject.</summary>
    public async Task<ScenarioResult> HashBustingAsync()
    {
        var text = new TextGenerator(6);
        var run = new Run("hash-busting spammer (token, greeting, subject per copy)", legitimate: false, "user@bust.test");
        var body = Spam(new TextGenerator(60));
        for (var i = 0; i < 12 && !run.Suspended; i++)
        {
            var copy = $"Hello {text.Name()},\r\n\r\nRef {text.Token()}\r\n\r\n{body}\r\nID {text.Token()}{text.Token()}\r\n";
            await SendAsync(run, Message(run.Sender, $"{text.Subject()} {text.Token()[..6]}", copy), Recipients(Cap, $"targets{i}.example", "t"));
        }

        return await run.FinishAsync(this);
    }

    /// <summary>The same spam to 40 recipients at a time: under the cap and under the rate windows.</summary>
    public async Task<ScenarioResult> SlowSpammerAsync()
    {
        var text = new TextGenerator(7);
        var run = new Run("slow spammer (40 per copy, under the rate windows)", legitimate: false, "user@slow.test");
        var body = Spam(new TextGenerator(70));
        for (var i = 0; i < 30 && !run.Suspended; i++)
        {
            await SendAsync(run, Message(run.Sender, text.Subject(), $"Hi {text.Name()},\r\n\r\n{body}"), Recipients(40, $"slow{i}.example", "s"));
        }

        return await run.FinishAsync(this);
    }

    /// <summary>Four compromised mailboxes of four clients send the same spam, 60 recipients each, twice.</summary>
    public async Task<IReadOnlyList<ScenarioResult>> CampaignAsync()
    {
        var body = Spam(new TextGenerator(8));
        var runs = new[] { "camp1", "camp2", "camp3", "camp4" }.Select(c => new Run($"campaign across clients: {c}", legitimate: false, $"user@{c}.test")).ToArray();
        for (var round = 0; round < 2; round++)
        {
            foreach (var run in runs)
            {
                if (!run.Suspended)
                {
                    await SendAsync(run, Message(run.Sender, "Invoice overdue", body), Recipients(60, $"camp-{run.Sender[5..9]}-{round}.example", "c"));
                }
            }
        }

        var results = new List<ScenarioResult>();
        foreach (var run in runs)
        {
            results.Add(await run.FinishAsync(this));
        }

        return results;
    }

    public static string Table(IReadOnlyList<ScenarioResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Scenario | Kind | Messages tried | Relayed | Pieces relayed | Held | Refused | Offenses | Time to suspension |");
        sb.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in results)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {(r.Legitimate ? "legitimate" : "abusive")} | {r.MessagesAttempted} | {r.MessagesRelayed} | {r.PiecesRelayed} | {r.Holds} | {r.Refusals} | {r.Offenses} | {(r.TimeToSuspension is { } t ? $"{t.TotalSeconds:0.00} s" : "–")} |");
        }

        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _floodgate.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private async Task SendAsync(Run run, MimeMessage message, IReadOnlyList<string> recipients)
    {
        run.Attempted++;
        using var client = new SmtpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", _floodgate.Smtp.Port, SecureSocketOptions.None);
            await client.AuthenticateAsync(run.Sender, Password);
            await client.SendAsync(message, MailboxAddress.Parse(run.Sender), recipients.Select(MailboxAddress.Parse));
            run.Relayed++;
            run.LastReply = "250";
        }
        catch (SmtpCommandException ex)
        {
            run.LastReply = $"{(int)ex.StatusCode} {ex.Message}";
            if (ex.Message.Contains("held", StringComparison.OrdinalIgnoreCase))
            {
                run.Holds++;
            }
            else if ((int)ex.StatusCode >= 500)
            {
                run.Refusals++;
                if (ex.Message.Contains("mass mailing detected", StringComparison.OrdinalIgnoreCase))
                {
                    run.Offenses++;
                }

                if (ex.Message.Contains("suspended", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("terminated", StringComparison.OrdinalIgnoreCase))
                {
                    run.MarkSuspended();
                }
            }
        }
        finally
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(true);
            }
        }
    }

    /// <summary>The same pitch inside 300 words of different business prose per copy: whole-message similarity falls to ~0.1.</summary>
    public async Task<ScenarioResult> FillerSpammerAsync()
    {
        var filler = new TextGenerator(80);
        var run = new Run("filler spammer (300 words of new prose around the pitch per copy)", legitimate: false, "user@filler.test");
        var pitch = Spam(new TextGenerator(81));
        for (var i = 0; i < 8 && !run.Suspended; i++)
        {
            var copy = filler.Body(30) + "\r\n\r\n" + pitch + "\r\n\r\n" + filler.Body(20);
            await SendAsync(run, Message(run.Sender, filler.Subject(), copy), Recipients(Cap, $"filler{i}.example", "f"));
        }

        return await run.FinishAsync(this);
    }

    /// <summary>Every sentence from one of four phrasings and the link on a new subdomain and path: only the domain stays.</summary>
    public async Task<ScenarioResult> SpunSpammerAsync()
    {
        string[][] sentences =
        [
            ["Your parcel could not be delivered.", "We were unable to deliver your package.", "Delivery of your shipment failed today.", "Our courier could not hand over your parcel."],
            ["A customs fee of 2 dollars is outstanding.", "There is a small unpaid import charge.", "An unpaid duty is holding your item.", "Your item is held until a fee is paid."],
            ["Pay it now to book a new delivery slot.", "Settle the amount to reschedule delivery.", "Once paid, the courier will try again.", "Complete the payment and choose a new date."],
            ["Items not claimed within 3 days are returned.", "After three days the parcel goes back to the sender.", "Unclaimed parcels are returned after 72 hours.", "Please act within three days."],
        ];
        var random = new Random(82);
        var text = new TextGenerator(83);
        var run = new Run("spun spammer (spintax, link on a new subdomain and path per copy)", legitimate: false, "user@spun.test");
        for (var i = 0; i < 8 && !run.Suspended; i++)
        {
            var body = string.Join(" ", sentences.Select(options => options[random.Next(options.Length)])) +
                $"\r\n\r\nhttps://{text.Token()[..8]}.parcel-fees.example/{text.Token()[..6]}/pay\r\n";
            await SendAsync(run, Message(run.Sender, sentences[0][random.Next(4)], body), Recipients(Cap, $"spun{i}.example", "s"));
        }

        return await run.FinishAsync(this);
    }

    private static MimeMessage Message(string from, string subject, string body)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(new MailboxAddress("Undisclosed recipients", from));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = body };
        return m;
    }

    private static MimeMessage Announcement(string from, string subject, string body)
    {
        var m = Message(from, subject, body);
        m.Headers.Add("List-Unsubscribe", "<https://split.test/unsubscribe?id=1>, <mailto:unsubscribe@split.test>");
        return m;
    }

    private static string Spam(TextGenerator text) =>
        "Your payment could not be processed and your account will be closed. " + text.Body(6) +
        "\r\nConfirm your details within 24 hours at https://secure-login.example/verify?session=" + text.Token() + "\r\n";

    private static string[] Recipients(int count, string domain, string prefix) =>
        Enumerable.Range(0, count).Select(i => $"{prefix}{i}@{domain}").ToArray();

    private sealed class Run(string name, bool legitimate, string sender)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _suspendedAfter;

        public string Sender { get; } = sender;

        public int Attempted { get; set; }

        public int Relayed { get; set; }

        public int Holds { get; set; }

        public int Refusals { get; set; }

        public int Offenses { get; set; }

        public string LastReply { get; set; } = string.Empty;

        public bool Suspended => _suspendedAfter is not null;

        public void MarkSuspended() => _suspendedAfter ??= _clock.Elapsed;

        public async Task<ScenarioResult> FinishAsync(TrafficSimulator sim)
        {
            // Pieces relayed: what the upstream actually received from this sender.
            await Task.Delay(50);
            var pieces = sim._sink.Messages.Where(m => m.Sender == Sender).Sum(m => m.Recipients.Count);
            // An offense raised for a campaign member by another member's message shows as its suspension.
            var (_, show) = await sim._floodgate.CliAsync("mailbox", "show", Sender);
            if (Offenses == 0 && show.Contains("Suspended", StringComparison.Ordinal) || show.Contains("Terminated", StringComparison.Ordinal))
            {
                Offenses = Math.Max(Offenses, 1);
                _suspendedAfter ??= _clock.Elapsed;
            }

            return new ScenarioResult(name, legitimate, Attempted, Relayed, pieces, Holds, Refusals, Offenses, _suspendedAfter, LastReply);
        }
    }
}
