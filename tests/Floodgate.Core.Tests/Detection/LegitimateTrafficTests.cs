using System.Globalization;
using System.Text;
using MimeKit;
using Xunit.Abstractions;

namespace Floodgate.Core.Tests.Detection;

/// <summary>
/// What a provider's legitimate customers really send, each scenario after days or weeks of ordinary
/// mail through the same engine: none of it may ever be held or be an offense. The texts are varied
/// the way real mail varies (names, amounts, quoted history, shared footers), not shaped to pass.
/// </summary>
public sealed class LegitimateTrafficTests(ITestOutputHelper output)
{
    private const string Ann = "ann@acme.test";
    private const string Bob = "bob@acme.test";
    private const string Carl = "carl@acme-mail.test";

    // The fixture's clock starts on Friday 2026-11-27 at 10:00 UTC; scenarios count days from that midnight.
    private static readonly DateTimeOffset Day0 = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    private readonly Random _random = new(4711);
    private int _messageIds;

    [Fact]
    public void AMailMergeToExistingCustomersIsNeverHeld()
    {
        var h = new DetectorHarness();
        var customers = People(150, "customer");

        // Four weeks of ordinary work, in which Ann wrote one-to-one to every customer at least once.
        var days = WorkingDays(3, 20);
        var firstContact = customers.ToDictionary(c => c, _ => days[_random.Next(days.Count)]);
        foreach (var day in days)
        {
            var owed = customers.Where(c => firstContact[c] == day).ToList();
            OrdinaryDay(h, Ann, day, customers, _random.Next(12, 21), owed);
        }

        // The renewal notices: one message per customer, from a mail-merge add-in, a few seconds apart.
        var at = NextWorkingDay(days[^1]).AddHours(10);
        foreach (var c in customers)
        {
            at = at.AddSeconds(_random.Next(6, 21));
            var amount = (_random.Next(12, 480) * 25).ToString("N2", CultureInfo.InvariantCulture);
            var renews = at.AddDays(_random.Next(14, 45)).ToString("MMMM d", CultureInfo.InvariantCulture);
            var seats = _random.Next(2, 60);
            var text =
                $"Dear {c.First},\n\n" +
                $"your {Pick(["Team", "Business", "Professional"])} subscription for {c.Company} (account {_random.Next(10000, 99999)}) renews on {renews}. " +
                $"The renewal covers {seats} seats and comes to ${amount} for the year, the same rate per seat as last year.\n\n" +
                $"If you would like to add or remove seats, simply reply to this e-mail before {renews} and I will send you an updated quote. " +
                "Nothing needs to be done if everything should stay as it is: the renewal happens automatically.\n\n" +
                "Thank you for another year of working together.\n\nAnn Lee\nAccount manager, Acme\n+1 555 0100";
            Send(h, Ann, [c.Address], $"Your Acme renewal on {renews}", text, at);
        }

        AssertNeverStopped(h);
    }

    [Fact]
    public void ASalesRepWritingToNewProspectsIsNeverHeld()
    {
        var h = new DetectorHarness();
        var existing = People(60, "client");
        foreach (var day in WorkingDays(3, 15))
        {
            OrdinaryDay(h, Bob, day, existing, _random.Next(10, 19));
        }

        // One working day of first contacts, each written by hand to one prospect.
        var prospects = People(40, "prospect");
        var at = NextWorkingDay(Day0.AddDays(24)).AddHours(9);
        foreach (var p in prospects)
        {
            at = at.AddMinutes(_random.Next(6, 16));
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Hi {p.First},\n\n");
            text.Append(Fill(Pick(ProspectOpeners), p)).Append(' ').Append(Fill(Pick(ProspectProblems), p)).Append("\n\n");
            text.Append(Fill(Pick(ProspectOffers), p)).Append(' ').Append(Fill(Pick(ProspectAsks), p)).Append("\n\n");
            text.Append(Pick(["Best,", "Kind regards,", "Thanks,", "All the best,"])).Append("\nBob Marsh\nAcme, business development\n");
            Send(h, Bob, [p.Address], Fill(Pick(ProspectSubjects), p), text.ToString(), at);
        }

        AssertNeverStopped(h);
    }

    [Fact]
    public void AReplyAllThreadIsNeverHeld()
    {
        var h = new DetectorHarness();
        var participants = People(6, "northwind").Concat(People(4, "fabrikam")).ToList();
        foreach (var day in WorkingDays(3, 10))
        {
            OrdinaryDay(h, Ann, day, participants, _random.Next(10, 19));
            OrdinaryDay(h, Bob, day, participants, _random.Next(8, 15));
        }

        // Two days of a project thread: 25 replies from Ann and Bob to everyone, between the external
        // participants' own replies (which arrive from outside, and are only quoted here). Each reply
        // quotes the whole message before it, as mail clients do.
        var everyone = participants.Select(p => p.Address).Append(Bob).ToList();
        var previous = $"Hello all,\n\nas agreed on the call, here is the plan for the warehouse system migration. " +
            $"Phase one moves the stock data, phase two the order flow, phase three the reporting.\n\nRegards,\n{participants[0].First}";
        var previousAuthor = participants[0].First + " " + participants[0].Last;
        var at = NextWorkingDay(Day0.AddDays(17)).AddHours(8).AddMinutes(40);
        var sent = 0;
        while (sent < 25)
        {
            at = at.AddMinutes(_random.Next(12, 45));
            if (at.Hour >= 18)
            {
                at = NextWorkingDay(at).AddHours(8).AddMinutes(_random.Next(30, 60));
            }

            var quoted = Quote(previous, previousAuthor, at.AddMinutes(-_random.Next(5, 40)));
            if (_random.Next(3) == 0)
            {
                // A participant answered first; the next reply from acme quotes theirs.
                var p = participants[_random.Next(participants.Count)];
                previous = $"{Fill(Pick(ThreadLines), p)} {Fill(Pick(ThreadLines), p)}\n\n{p.First}\n\n{quoted}";
                previousAuthor = p.First + " " + p.Last;
                continue;
            }

            var author = sent % 3 == 2 ? Bob : Ann;
            var name = author == Ann ? "Ann" : "Bob";
            var recipients = author == Ann ? everyone : everyone.Where(r => r != Bob).Append(Ann).ToList();
            var other = participants[_random.Next(participants.Count)];
            var text = $"{Fill(Pick(ThreadLines), other)} {Fill(Pick(ThreadLines), other)}\n\n{name}\n\n{quoted}";
            Send(h, author, recipients, "RE: Warehouse system migration plan", text, at);
            previous = text;
            previousAuthor = author == Ann ? "Ann Lee" : "Bob Marsh";
            sent++;
        }

        AssertNeverStopped(h);
    }

    [Fact]
    public void ASupportDeskAnsweringHundredsOfCustomersIsNeverHeld()
    {
        var h = new DetectorHarness();
        var customers = People(900, "buyer");
        var days = WorkingDays(3, 10);
        foreach (var day in days)
        {
            SupportDay(h, day, customers, _random.Next(120, 201));
        }

        // The busy day after a release: 300 different customers, each answered once.
        var busy = NextWorkingDay(days[^1]);
        SupportDay(h, busy, customers.OrderBy(_ => _random.Next()).Take(300).ToList(), 300, everyCustomerOnce: true);

        AssertNeverStopped(h);
    }

    [Fact]
    public void AnAllStaffAnnouncementAndItsCorrectionAreNeverHeld()
    {
        var h = new DetectorHarness();
        var staff = People(180, "staff", internalDomain: "acme.test").Select(p => p.Address).ToList();
        foreach (var day in WorkingDays(3, 5))
        {
            OrdinaryDay(h, Ann, day, People(30, "client"), _random.Next(10, 19));
        }

        var day9 = NextWorkingDay(Day0.AddDays(9));
        var announcement =
            "Dear colleagues,\n\nthe annual staff meeting takes place on Thursday 17 December at 14:00 in the main hall. " +
            "The managing director will present the results of the year and the plans for the new warehouse, and there will be time for questions. " +
            "Coffee and cake are served from 13:30. Colleagues working remotely can join through the usual video link, which is on the intranet.\n\n" +
            "Please tell your team lead by Monday whether you will attend in person, so that we can plan the seating.\n\nAnn Lee\nOffice management";
        Send(h, Ann, staff, "Staff meeting on 17 December", announcement, day9.AddHours(9));
        Send(h, Ann, staff, "Correction: staff meeting on 17 December at 15:00",
            "Dear colleagues,\n\na correction to this morning's message: the meeting starts at 15:00, not 14:00, because the hall is booked until 14:30. " +
            "Everything else stays as announced.\n\n" + announcement.Replace("14:00", "15:00", StringComparison.Ordinal).Replace("13:30", "14:30", StringComparison.Ordinal),
            day9.AddHours(11).AddMinutes(34));

        AssertNeverStopped(h);
    }

    [Fact]
    public void AnOptInNewsletterInBatchesIsNeverHeld()
    {
        var h = new DetectorHarness();

        // Twelve weeks of sign-ups: every subscriber got a one-to-one double opt-in confirmation when joining.
        var subscribers = new List<Person>();
        var candidates = new Queue<Person>(People(700, "reader"));
        var at = Day0.AddDays(1);
        for (var i = 0; i < 530; i++)
        {
            at = at.AddMinutes(_random.Next(60, 400));
            var p = candidates.Dequeue();
            SendConfirmation(h, p, at);
            subscribers.Add(p);
        }

        // Six weekly issues; during each week a few readers join (with their confirmation) and a few leave.
        var issueDay = NextWorkingDay(at.AddDays(1));
        while (issueDay.DayOfWeek != DayOfWeek.Tuesday)
        {
            issueDay = issueDay.AddDays(1);
        }

        for (var issue = 0; issue < 6; issue++)
        {
            var joins = new List<DateTimeOffset>();
            for (var j = _random.Next(5, 16); j > 0; j--)
            {
                joins.Add(issueDay.AddDays(-6).AddMinutes(_random.Next(0, 6 * 24 * 60)));
            }

            joins.Sort();
            foreach (var joined in joins)
            {
                var p = candidates.Dequeue();
                SendConfirmation(h, p, joined);
                subscribers.Add(p);
            }

            for (var l = _random.Next(2, 9); l > 0; l--)
            {
                subscribers.RemoveAt(_random.Next(subscribers.Count));
            }

            SendIssue(h, issue, subscribers, issueDay.AddHours(10));
            issueDay = issueDay.AddDays(7);
        }

        AssertNeverStopped(h);
    }

    [Fact]
    public void AMonthlyInvoiceRunIsNeverHeld()
    {
        var h = new DetectorHarness();
        var customers = People(250, "account");
        foreach (var day in WorkingDays(3, 8))
        {
            OrdinaryDay(h, Ann, day, customers, _random.Next(10, 19));
        }

        // Once a month for three months: one invoice per customer from the accounting system, early in the morning.
        DateTimeOffset[] runs = [new(2026, 12, 10, 7, 0, 0, TimeSpan.Zero), new(2027, 1, 11, 7, 0, 0, TimeSpan.Zero), new(2027, 2, 10, 7, 0, 0, TimeSpan.Zero)];
        foreach (var run in runs)
        {
            var at = run;
            var number = 1;
            foreach (var c in customers)
            {
                at = at.AddSeconds(_random.Next(3, 11));
                var invoice = $"INV-{run:yyyy-MM}-{number++:0000}";
                var amount = (_random.Next(4000, 900000) / 100.0).ToString("N2", CultureInfo.InvariantCulture);
                var due = run.AddDays(30).ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
                var text =
                    $"Dear {c.First} {c.Last},\n\n" +
                    $"please find attached invoice {invoice} for {run.AddMonths(-1):MMMM yyyy}, for {c.Company}. " +
                    $"The amount due is ${amount}, payable by {due}.\n\n" +
                    $"You can pay by card or bank transfer at https://pay.payflow-checkout.example/acme/i/{Token(22)} " +
                    "or by transfer to the account shown on the invoice.\n\n" +
                    "Questions about this invoice? Call our accounts team on +1 555 0100 or reply to this e-mail.\n\n" +
                    "Thank you for your business,\nAcme Accounts\nAcme Ltd, 14 Harbour Street, Springfield";
                var message = Build(Ann, $"Invoice {invoice} from Acme", text, at);
                var pdf = new byte[_random.Next(28, 96) * 1024];
                _random.NextBytes(pdf);
                "%PDF-1.4\n"u8.CopyTo(pdf);
                message.Body = new Multipart("mixed")
                {
                    new TextPart("plain") { Text = text },
                    new MimePart("application", "pdf")
                    {
                        Content = new MimeContent(new MemoryStream(pdf)),
                        ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                        ContentTransferEncoding = ContentEncoding.Base64,
                        FileName = invoice + ".pdf",
                    },
                };
                SendMessage(h, message, [c.Address], at);
            }

            // The rest of the month: ordinary mail, with customers answering about their invoices.
            foreach (var day in WorkingDays((int)(run - Day0).TotalDays + 1, 6))
            {
                OrdinaryDay(h, Ann, day, customers, _random.Next(10, 19));
            }
        }

        AssertNeverStopped(h);
    }

    [Fact]
    public void AnEventInvitationAndItsReminderAreNeverHeld()
    {
        var h = new DetectorHarness();
        var guests = People(60, "guest");
        foreach (var day in WorkingDays(3, 10))
        {
            OrdinaryDay(h, Ann, day, guests, _random.Next(10, 19));
        }

        // The invitation to all 60 guests in Bcc, answers to the RSVPs, a reminder a week before to those still coming.
        var invited = NextWorkingDay(Day0.AddDays(16)).AddHours(11);
        var invitation =
            "Dear friends of Acme,\n\nwe are turning twenty-five, and we would love to celebrate with you. " +
            "Join us on Friday 29 January from 17:00 at the Harbour Warehouse, 3 Quay Lane, for drinks, a short tour of the new workshop and dinner.\n\n" +
            "Please let us know by 15 January whether you can come, and whether you have any dietary needs.\n\nWarm regards,\nAnn Lee and the whole Acme team";
        Send(h, Ann, guests.Select(g => g.Address), "Invitation: Acme turns 25", invitation, invited);

        var at = invited;
        var declined = new HashSet<Person>();
        foreach (var g in guests.OrderBy(_ => _random.Next()).Take(38))
        {
            at = at.AddMinutes(_random.Next(20, 400));
            var coming = _random.Next(6) != 0;
            if (!coming)
            {
                declined.Add(g);
            }

            Send(h, Ann, [g.Address], "RE: Invitation: Acme turns 25",
                coming ? $"Dear {g.First},\n\nwonderful, we have you down for the 29th. {Pick(["See you there!", "We look forward to it.", "The parking is behind the building."])}\n\nAnn"
                       : $"Dear {g.First},\n\nwhat a pity, but thank you for letting us know. {Pick(["Next time!", "We will send you photos.", "Let us have lunch soon instead."])}\n\nAnn",
                at);
        }

        var reminder =
            "Dear friends of Acme,\n\na short reminder: our anniversary evening is next Friday, 29 January, from 17:00 at the Harbour Warehouse, 3 Quay Lane. " +
            "Parking is free behind the building, and the tram stop Quay Lane is two minutes away.\n\nWe look forward to seeing you,\nAnn Lee";
        Send(h, Ann, guests.Where(g => !declined.Contains(g)).Select(g => g.Address), "Reminder: Acme turns 25, next Friday", reminder,
            new DateTimeOffset(2027, 1, 22, 10, 15, 0, TimeSpan.Zero));

        AssertNeverStopped(h);
    }

    [Fact]
    public void AnOutOfOfficeReplyToManySendersIsNeverHeld()
    {
        var h = new DetectorHarness();
        foreach (var day in WorkingDays(3, 10))
        {
            OrdinaryDay(h, Ann, day, People(40, "client"), _random.Next(10, 19));
        }

        // Two weeks of holiday: the same automatic answer, once to each of 200 different senders.
        var senders = People(200, "sender");
        var at = NextWorkingDay(Day0.AddDays(17)).AddHours(7);
        foreach (var s in senders)
        {
            at = at.AddMinutes(_random.Next(10, 140));
            var message = Build(Ann, "Automatic reply: " + Pick(["Question about my order", "Meeting next week", "Quote request", "Invoice", "Delivery date"]),
                "Thank you for your message. I am on leave until 4 January and will not read e-mail until then. " +
                "For urgent matters please contact Bob Marsh at bob@acme.test or call +1 555 0100.\n\nAnn Lee", at);
            message.Headers.Add("Auto-Submitted", "auto-replied");
            SendMessage(h, message, [s.Address], at);
        }

        AssertNeverStopped(h);
    }

    [Fact]
    public void AOneOffNoticeToMostOfTheCapIsNeverHeld()
    {
        var h = new DetectorHarness();
        var customers = People(190, "customer");
        foreach (var day in WorkingDays(3, 10))
        {
            OrdinaryDay(h, Ann, day, customers, _random.Next(10, 19));
        }

        // Once, not again and again: the policy's profile is the same e-mail repeated at the cap.
        var at = NextWorkingDay(Day0.AddDays(17)).AddHours(9);
        Send(h, Ann, customers.Select(c => c.Address), "New opening hours from 4 January",
            "Dear customers,\n\nfrom Monday 4 January our counter in Harbour Street opens from 8:00 to 18:00 on weekdays and is closed on Saturdays. " +
            "Orders placed online are still shipped the same day when they arrive before 15:00.\n\nThank you for your understanding,\nAnn Lee, Acme", at);
        foreach (var c in customers.OrderBy(_ => _random.Next()).Take(15))
        {
            at = at.AddMinutes(_random.Next(5, 50));
            Send(h, Ann, [c.Address], "RE: New opening hours from 4 January",
                $"Hello {c.First},\n\n{Pick(["yes, collection on Saturdays can still be arranged by appointment.", "the warehouse itself keeps its hours, only the counter changes.", "we will of course still deliver on Saturdays as agreed."])}\n\nAnn", at);
        }

        AssertNeverStopped(h);
    }

    private void SendConfirmation(DetectorHarness h, Person p, DateTimeOffset at) =>
        Send(h, Carl, [p.Address], "Please confirm your subscription to Acme Garden Notes",
            $"Hello,\n\nsomeone, hopefully you, asked to receive Acme Garden Notes at {p.Address}. " +
            $"To confirm, open this link: https://news.acme-mail.test/confirm/{Token(24)}\n\n" +
            "If you did not ask for this, ignore this message and you will not hear from us again.\n\nAcme Garden Notes", at);

    /// <summary>One issue: the same header, footer and unsubscribe link every week, new articles, batches of at most 200 a few minutes apart.</summary>
    private void SendIssue(DetectorHarness h, int issue, List<Person> subscribers, DateTimeOffset at)
    {
        var date = at.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Acme Garden Notes, issue {41 + issue}, {date}\n\n");
        for (var a = 0; a < 3; a++)
        {
            var (title, body) = Articles[issue * 3 + a];
            text.Append(title).Append("\n\n").Append(body).Append("\n\n");
        }

        text.Append(
            "You receive Acme Garden Notes because you subscribed at acme-mail.test and confirmed your address. " +
            "To stop receiving it, use https://news.acme-mail.test/unsubscribe?list=garden-notes or reply with the word unsubscribe.\n" +
            "Acme Ltd, 14 Harbour Street, Springfield\n");
        var plain = text.ToString();
        var html = "<html><body><div style=\"max-width:600px;font-family:Georgia,serif\">" +
            string.Concat(plain.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(p => $"<p>{System.Net.WebUtility.HtmlEncode(p)}</p>")) +
            "<p><a href=\"https://news.acme-mail.test/unsubscribe?list=garden-notes\">Unsubscribe</a></p></div></body></html>";

        var batch = 0;
        for (var start = 0; start < subscribers.Count; start += 200)
        {
            var message = Build(Carl, $"Garden Notes {41 + issue}: {Articles[issue * 3].Title}", plain, at);
            message.To.Clear();
            message.To.Add(new MailboxAddress("Acme Garden Notes", "garden-notes@acme-mail.test"));
            message.Headers.Add("List-Id", "Acme Garden Notes <garden-notes.acme-mail.test>");
            message.Headers.Add("List-Unsubscribe", "<mailto:unsubscribe@acme-mail.test?subject=unsubscribe%20garden-notes>, <https://news.acme-mail.test/unsubscribe?list=garden-notes>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            message.Headers.Add("Precedence", "list");
            message.Body = new MultipartAlternative
            {
                new TextPart("plain") { Text = plain },
                new TextPart("html") { Text = html },
            };
            SendMessage(h, message, subscribers.Skip(start).Take(200).Select(s => s.Address), at.AddMinutes(4 * batch++));
        }
    }

    private void SupportDay(DetectorHarness h, DateTimeOffset day, IReadOnlyList<Person> customers, int replies, bool everyCustomerOnce = false)
    {
        var at = day.AddHours(8);
        var step = 12 * 60 * 60 / replies;
        for (var i = 0; i < replies; i++)
        {
            at = at.AddSeconds(_random.Next(step / 2, step * 3 / 2));
            var c = everyCustomerOnce ? customers[i] : customers[_random.Next(customers.Count)];
            var (topic, question, answers, article) = SupportIssues[_random.Next(SupportIssues.Length)];
            var order = _random.Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
            var agent = Pick(["Priya", "Marco", "Jenny", "Tobias", "Aiko"]);
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Hello {c.First},\n\n");
            text.Append(CultureInfo.InvariantCulture, $"{Pick(["thank you for contacting us about", "thanks for getting in touch about", "sorry for the trouble with"])} {topic} (order {order}). ");
            text.Append(Fill(Pick(answers), c).Replace("{order}", order, StringComparison.Ordinal)).Append(' ');
            text.Append(Pick(SupportClosers)).Append("\n\n");
            text.Append(CultureInfo.InvariantCulture, $"Kind regards,\n{agent}\nAcme Customer Support\n\n");
            text.Append(SupportFooter.Replace("{article}", article, StringComparison.Ordinal)).Append("\n\n");
            text.Append(Quote(Fill(question, c).Replace("{order}", order, StringComparison.Ordinal), c.First + " " + c.Last, at.AddMinutes(-_random.Next(20, 600))));
            Send(h, Bob, [c.Address], $"Re: [Ticket #{_random.Next(200000, 299999)}] {Capitalize(topic)}", text.ToString(), at);
        }
    }

    /// <summary>
    /// A working day of ordinary mail: mostly one recipient, colleagues and the given contacts, now and
    /// then a few people copied. <paramref name="owed"/> are contacts that get a message of their own today.
    /// </summary>
    private void OrdinaryDay(DetectorHarness h, string mailbox, DateTimeOffset day, IReadOnlyList<Person> contacts, int messages, IReadOnlyList<Person>? owed = null)
    {
        var sender = mailbox == Ann ? "Ann" : mailbox == Bob ? "Bob" : "Carl";
        var colleagues = new[] { Ann, Bob, Carl, "dana.white@acme.test", "erik.stone@acme.test", "fay.osei@acme.test" }.Where(a => a != mailbox).ToArray();
        var work = new List<(DateTimeOffset At, IReadOnlyList<string> To, string Name)>();
        for (var i = 0; i < messages; i++)
        {
            var at = day.AddHours(8.5).AddSeconds(_random.Next(0, 9 * 3600));
            var roll = _random.Next(100);
            var c = contacts[_random.Next(contacts.Count)];
            var colleague = colleagues[_random.Next(colleagues.Length)];
            IReadOnlyList<string> to = roll switch
            {
                < 35 => [colleague],
                < 80 => [c.Address],
                < 95 => [c.Address, colleague],
                _ => contacts.OrderBy(_ => _random.Next()).Take(_random.Next(2, 5)).Select(p => p.Address).Append(colleague).ToList(),
            };
            work.Add((at, to, roll < 35 ? colleague.Split('@')[0].Split('.')[0] : c.First));
        }

        foreach (var p in owed ?? [])
        {
            work.Add((day.AddHours(8.5).AddSeconds(_random.Next(0, 9 * 3600)), [p.Address], p.First));
        }

        foreach (var (at, to, name) in work.OrderBy(w => w.At))
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{Pick(["Hi", "Hello", "Dear", "Morning"])} {Capitalize(name)},\n\n");
            for (var s = _random.Next(2, 5); s > 0; s--)
            {
                text.Append(Fill(Pick(OrdinaryLines), null)).Append(' ');
            }

            text.Append(CultureInfo.InvariantCulture, $"\n\n{Pick(["Thanks,", "Best,", "Regards,", "Cheers,"])}\n{sender}");
            Send(h, mailbox, to, Fill(Pick(OrdinarySubjects), null), text.ToString(), at);
        }
    }

    private void Send(DetectorHarness h, string from, IEnumerable<string> recipients, string subject, string text, DateTimeOffset at) =>
        SendMessage(h, Build(from, subject, text, at), recipients, at);

    /// <summary>Moves the clock to <paramref name="at"/> (never back: a message planned earlier goes a second after the last) and sends.</summary>
    private static void SendMessage(DetectorHarness h, MimeMessage message, IEnumerable<string> recipients, DateTimeOffset at)
    {
        var now = h.Time.GetUtcNow();
        h.Time.Advance(at > now ? at - now : TimeSpan.FromSeconds(1));
        h.Send(message, recipients.ToList());
    }

    private MimeMessage Build(string from, string subject, string text, DateTimeOffset at)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(new GroupAddress("undisclosed-recipients"));
        message.Subject = subject;
        message.Date = at;
        message.MessageId = $"{at.ToUnixTimeSeconds()}.{++_messageIds}.{Token(8)}@{from[(from.IndexOf('@') + 1)..]}";
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    private void AssertNeverStopped(DetectorHarness h)
    {
        var why = string.Join("; ", h.Sink.Holds.Concat(h.Sink.Offenses)
            .SelectMany(r => r.Signals.Select(s => $"{s.Rule}: {s.Explanation}")).Distinct().Take(8));
        output.WriteLine($"messages {h.Messages}, relayed external {h.RelayedExternal}, held {h.Held}, offenses {h.Offenses}, refused recipients {h.RefusedRecipients}; {why}");
        Assert.True(h.Held == 0 && h.Offenses == 0, $"held {h.Held}, offenses {h.Offenses}: {why}");
        Assert.Empty(h.Sink.Holds);
        Assert.Empty(h.Sink.Offenses);

        // Not a detector check: a refused recipient would mean the scenario is beyond the plan's windows.
        Assert.Equal(0, h.RefusedRecipients);
    }

    /// <summary>The text quoted under "On ..., ... wrote:", every line prefixed as mail clients do.</summary>
    private static string Quote(string text, string author, DateTimeOffset at) =>
        $"On {at.ToString("ddd, d MMM yyyy 'at' HH:mm", CultureInfo.InvariantCulture)}, {author} wrote:\n" +
        string.Join("\n", text.Split('\n').Select(l => l.Length == 0 ? ">" : "> " + l));

    private static List<DateTimeOffset> WorkingDays(int fromDay, int count)
    {
        var days = new List<DateTimeOffset>();
        for (var d = Day0.AddDays(fromDay); days.Count < count; d = d.AddDays(1))
        {
            if (d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                days.Add(d);
            }
        }

        return days;
    }

    private static DateTimeOffset NextWorkingDay(DateTimeOffset after)
    {
        var d = new DateTimeOffset(after.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        while (d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            d = d.AddDays(1);
        }

        return d;
    }

    /// <summary>People with distinct addresses at their companies' domains (external unless the domain is given).</summary>
    private List<Person> People(int count, string kind, string? internalDomain = null)
    {
        var people = new List<Person>(count);
        var used = new HashSet<string>();
        while (people.Count < count)
        {
            var first = Pick(SpamRunGenerator.FirstNames);
            var last = Pick(SpamRunGenerator.LastNames);
            var company = Pick(Companies);
            var domain = internalDomain ?? $"{company.ToLowerInvariant().Replace(' ', '-')}-{kind}{_random.Next(1, 40)}.example";
            var address = $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}@{domain}";
            if (!used.Add(address))
            {
                address = $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}{people.Count}@{domain}";
                used.Add(address);
            }

            people.Add(new Person(first, last, address, company));
        }

        return people;
    }

    /// <summary>Replaces the slots of a line: {first}, {company}, {day}, {time}, {n}, {project}, {doc}.</summary>
    private string Fill(string template, Person? p) => template
        .Replace("{first}", p?.First ?? Pick(SpamRunGenerator.FirstNames), StringComparison.Ordinal)
        .Replace("{company}", p?.Company ?? Pick(Companies), StringComparison.Ordinal)
        .Replace("{day}", Pick(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]), StringComparison.Ordinal)
        .Replace("{time}", $"{_random.Next(8, 17)}:{Pick(["00", "15", "30", "45"])}", StringComparison.Ordinal)
        .Replace("{n}", _random.Next(2, 400).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{project}", Pick(["the warehouse move", "the spring catalogue", "the new price list", "the Oslo order", "the website update", "the audit"]), StringComparison.Ordinal)
        .Replace("{doc}", Pick(["the contract draft", "the delivery note", "the updated quote", "the meeting notes", "the spreadsheet", "the floor plan"]), StringComparison.Ordinal);

    private T Pick<T>(IReadOnlyList<T> values) => values[_random.Next(values.Count)];

    private string Token(int length)
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[_random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private sealed record Person(string First, string Last, string Address, string Company);

    private static readonly string[] Companies =
    [
        "Northwind", "Fabrikam", "Bluebird", "Greenfield", "Harbor Foods", "Lumen", "Tailspin", "Proseware", "Woodgrove",
        "Litware", "Coho", "Alpine Tools", "Riverside Dental", "Maple Print", "Summit Legal", "Orchard Bakery",
    ];

    private static readonly string[] OrdinarySubjects =
    [
        "{project}", "Re: {project}", "Quick question", "{doc}", "Re: {doc}", "Meeting on {day}", "Call at {time}?",
        "Fwd: {doc}", "Update on {project}", "Numbers for {day}", "Re: Meeting on {day}", "Lunch {day}?",
    ];

    private static readonly string[] OrdinaryLines =
    [
        "Could you have a look at {doc} before {day}?",
        "I have attached {doc}; page two has the changes we discussed.",
        "The delivery for {project} is now planned for {day}.",
        "Can we move our call to {time}? Something came up this morning.",
        "Thanks for the quick answer yesterday, that settles it.",
        "The figures for {project} look fine to me, only the freight cost seems high.",
        "{first} from {company} asked whether we can deliver {n} units by the end of the month.",
        "I will be out of the office on {day} afternoon.",
        "Please send me {doc} when you have a moment.",
        "We agreed on {n} pieces at the old price, the rest at the new one.",
        "The printer on the second floor is broken again, I have called the technician.",
        "Let me know if {time} on {day} works for you.",
        "I spoke to {first}; they are happy with the proposal.",
        "One more thing: the invoice address has changed, it is now the Harbour Street office.",
        "Sorry for the delay, I only saw your message now.",
        "Do you still have the contact at {company} for {project}?",
        "The meeting notes are on the shared drive under {project}.",
        "We can pick up the samples ourselves on {day}.",
        "I think we should wait for {first}'s answer before we order.",
        "The room is booked from {time}, I added it to the calendar.",
        "That is fine, go ahead with the order.",
        "Could you check whether {doc} has the right VAT number?",
    ];

    private static readonly string[] ProspectSubjects =
    [
        "Packaging for {company}", "A question about {company}'s shipping", "Following up from the trade fair",
        "Idea for {company}", "{first}, a quick introduction", "Saw your new range",
    ];

    private static readonly string[] ProspectOpeners =
    [
        "We met briefly at the logistics fair in Hamburg, where you mentioned that {company} is moving to a new warehouse.",
        "I read the interview with your managing director about {company}'s expansion into the Nordic countries.",
        "{company}'s new product range caught my eye in this month's trade magazine.",
        "A colleague of yours suggested I get in touch with you about packaging at {company}.",
        "I noticed that {company} is hiring for its dispatch team, which usually means volumes are growing.",
        "Your talk on sustainable shipping at the regional business forum stayed with me.",
    ];

    private static readonly string[] ProspectProblems =
    [
        "Many firms of your size tell us that damaged deliveries cost them more than the packaging itself.",
        "When volumes grow, the cardboard bill often grows faster than the orders.",
        "Customers now expect plastic-free parcels, and switching is harder than it looks.",
        "Seasonal peaks tend to leave dispatch teams short of the right box sizes.",
        "Most of the companies we work with were paying for air: boxes far larger than the goods.",
    ];

    private static readonly string[] ProspectOffers =
    [
        "We make made-to-measure boxes in runs as small as {n} pieces, delivered within a week.",
        "For a similar firm we cut packaging costs by a fifth in three months, mostly by reducing box sizes.",
        "Our recycled padding replaces bubble wrap and costs about the same.",
        "We could send you {n} samples in the sizes you use most, free of charge.",
        "We keep stock for our customers and deliver weekly, so nobody has to store pallets of boxes.",
    ];

    private static readonly string[] ProspectAsks =
    [
        "Would you have twenty minutes on {day} for a short call?",
        "Shall I send a few samples to your warehouse?",
        "If this is not your area, could you tell me who looks after packaging?",
        "I am in your area on {day}; could I drop by at {time}?",
        "Would a short comparison with your current supplier be useful?",
    ];

    private static readonly string[] ThreadLines =
    [
        "Agreed, phase one can start on {day} as planned.",
        "{first}, can you confirm that the stock export will be ready by {day}?",
        "We tested the order import with {n} orders last night and found two mapping errors.",
        "The errors are fixed; the new mapping file is on the project drive.",
        "Reporting can wait until after the go-live, nobody needs it in the first week.",
        "Our warehouse team needs half a day of training before the switch.",
        "Could we keep the old system read-only for a month, just in case?",
        "I have booked the meeting room for the go-live review on {day} at {time}.",
        "The barcode scanners arrived today, {n} of them, all working.",
        "{first} raised a good point about the returns: they are not in any phase yet.",
        "Let us add returns to phase two, it uses the same order flow.",
        "Fine by me. I will update the plan and send it round.",
        "Quick note: the supplier needs the final item list by {day}.",
        "Thanks all, that was a productive call.",
    ];

    private static readonly (string Topic, string Question, string[] Answers, string Article)[] SupportIssues =
    [
        ("your delivery", "Hi, my order {order} was due two days ago and has not arrived. Can you tell me where it is? {first}",
            [
                "The parcel is with the courier and scheduled for delivery tomorrow; the delay was at their depot.",
                "I checked with the courier: the address label was damaged, so we have sent a replacement parcel today.",
                "It was delivered to a neighbour on {day}; the courier's note says house number {n}.",
            ], "360012345"),
        ("a refund", "Hello, I returned order {order} over a week ago. When will I get my money back? Thanks, {first}",
            [
                "Your return arrived on {day} and the refund was issued today; banks usually take three to five days to show it.",
                "We have not received the parcel yet. Could you send us the tracking number of the return?",
                "The refund went to the card you paid with; you should see it within a few days.",
            ], "360012388"),
        ("logging in", "I cannot log in to my account since yesterday, it says my password is wrong. {first}",
            [
                "I have reset the login for you; you will receive a separate e-mail with a link to choose a new password.",
                "Your account was locked after several attempts; it is unlocked now, please try again.",
                "It looks like the account is registered under a different address. I have merged the two for you.",
            ], "360013001"),
        ("a damaged item", "The lamp in order {order} arrived with a cracked shade. What can I do? {first}",
            [
                "I am sorry it arrived like that. A replacement shade is on its way; there is no need to send the old one back.",
                "Could you send us a photo of the damage? Then we will send a replacement straight away.",
                "We have refunded the lamp in full; if you prefer a replacement, just reply and I will arrange it.",
            ], "360012902"),
        ("your invoice", "Could you send me an invoice with our company name for order {order}? {first}, {company}",
            [
                "I have attached the invoice made out to {company}; it is also in your account under orders.",
                "The invoice now shows your company name and VAT number; you can download it from your account.",
            ], "360014120"),
        ("changing your order", "Is it still possible to change the colour in order {order} from grey to blue? {first}",
            [
                "Yes, the order had not been packed yet, so I changed it to blue; the delivery date stays the same.",
                "Unfortunately the order had already left our warehouse. You can return the grey one for free and order the blue one.",
                "Blue is out of stock until {day}; I have put your order on hold until then, unless you prefer to cancel.",
            ], "360015500"),
        ("the assembly instructions", "The shelf in order {order} came without assembly instructions. {first}",
            [
                "I have attached the instructions as a PDF; the video guide is in the help centre as well.",
                "You will find the instructions in the help centre; I have also asked the warehouse to check the packing.",
            ], "360016233"),
        ("a discount code", "My discount code does not work at checkout. Can you help? Regards, {first}",
            [
                "The code expired on {day}, but I have applied the discount to your order manually.",
                "Codes cannot be combined with sale items; I have sent you a new code for your next full-price order.",
            ], "360017010"),
    ];

    private static readonly string[] SupportClosers =
    [
        "If there is anything else, just reply to this e-mail.",
        "Let me know if that helps.",
        "I hope this solves it; write back if not.",
        "Please reply to this e-mail if you have further questions.",
        "Have a good day.",
    ];

    /// <summary>The shared footer of every support reply: about 120 words, with links to acme.test and the third-party help centre.</summary>
    private const string SupportFooter =
        "--\nAcme Ltd, 14 Harbour Street, Springfield, registered in Springfield under company number 0481 7723. " +
        "Customer service: +1 555 0100, Monday to Friday 8:00 to 20:00. Shop: https://www.acme.test/shop " +
        "Help centre: https://acme.helpdesk-cloud.example/hc/en-us/articles/{article} " +
        "Privacy notice: https://www.acme.test/privacy\n" +
        "This e-mail and any attachments are confidential and intended solely for the addressee. If you have received it in error, " +
        "please notify the sender and delete it; you must not copy, distribute or rely on it. Acme accepts no liability for damage " +
        "caused by viruses transmitted by e-mail. Statements made in this e-mail are not binding unless confirmed in writing. " +
        "Please consider the environment before printing this e-mail.";

    private static readonly (string Title, string Body)[] Articles =
    [
        ("Planting garlic before the frost", "Garlic needs a cold spell to form proper bulbs, so late autumn is the time to plant it. Break the bulb into cloves, keep the fattest ones, and set them pointed end up about ten centimetres apart, just below the surface. A layer of leaf mould keeps the worst of the frost off."),
        ("Our new seed catalogue", "The spring catalogue is out, with forty new varieties, among them a dwarf runner bean for balconies and a tomato bred for cool summers. Every subscriber will find a printed copy in their next order, or can browse it on our website."),
        ("Reader question: moss on the lawn", "Moss means the lawn is too wet, too shady or too compacted, rarely that it lacks feed. Rake out the moss in spring, spike the worst patches with a fork and top-dress with sharp sand. Raking alone only brings it back next year."),
        ("Winter care for potted olives", "Olive trees in pots survive light frost but not wet roots. Move them against a south wall, raise the pots on feet so that water drains, and water only when the top of the compost is dry. Fleece helps on the coldest nights."),
        ("Workshop dates for January", "Our pruning workshops return in January: apple and pear trees on the first two Saturdays, roses and shrubs on the third. Places are limited to twelve people so that everyone gets hands-on practice; booking opens on Monday."),
        ("Feeding birds in the cold months", "Birds need fat and water most when the ground freezes. Hang feeders high and near cover, clean them every two weeks to stop disease, and break the ice on the bird bath in the morning. Avoid loose peanuts in the breeding season."),
        ("Forcing rhubarb for an early crop", "Cover a dormant rhubarb crown with an upturned bucket or a forcing pot in January and the pale, tender stems will be ready weeks before the rest. Only force a crown every other year, and leave it to recover afterwards."),
        ("Garden visit: the walled garden at Hollins", "Last month we visited the restored walled garden at Hollins, where volunteers have brought back the Victorian glasshouses. The espaliered pears on the south wall are over a hundred years old and still crop heavily."),
        ("Choosing a compost bin", "A good compost bin is big enough to heat up, at least a cubic metre, and easy to turn. Wooden bays are best for large gardens; a closed plastic bin suits small ones. Mix green and brown material in roughly equal parts."),
        ("Sowing sweet peas indoors", "Sweet peas sown in February in deep pots make strong roots and flower early. Soak the seeds overnight, sow two to a pot, pinch out the tips when they have three pairs of leaves, and plant them out after the last frost."),
        ("Tool care at the end of the season", "Clean spades and hoes with a stiff brush, sharpen the edges with a file and wipe them with an oily rag before storing them. Secateurs deserve a drop of oil on the spring and a new blade every few years."),
        ("Reader photos from the autumn", "Thank you for the many photos of your autumn gardens. This month's favourite comes from a reader in the hills, whose dahlias survived until the middle of November under a makeshift tent of old curtains."),
        ("Protecting fruit trees from winter moths", "Grease bands around the trunks of apple and cherry trees stop the wingless female winter moths climbing up to lay eggs. Put them on now and check them after storms; a band that touches a stake lets the moths around it."),
        ("Planning a vegetable rotation", "Moving crop families round the beds each year keeps soil pests down. A simple four-bed plan follows potatoes with legumes, legumes with brassicas and brassicas with roots. Sketch your beds now, while the garden is bare."),
        ("New opening hours of the garden centre", "From February the garden centre opens at eight on weekdays, an hour earlier than before, and stays open until six. On Sundays we open at ten. The café keeps its hours."),
        ("Early flowers for bees", "Crocus, winter aconite and hellebores give the first bumblebees food on mild days in February. Plant them where you can see them from a window, near paths, and leave a few dandelions in the lawn in spring."),
        ("Repotting houseplants", "Most houseplants want a pot only one size larger, and only when the roots circle the old one. Spring is the best time, as new growth starts. Use fresh compost and water well, then keep the plant out of strong sun for a week."),
        ("Spring lecture programme", "This year's spring lectures cover dry gardens, native hedges and growing salad all year. They take place on the last Thursday of each month in the garden centre's hall; entry is free for subscribers."),
    ];
}
