using System.Text;
using MimeKit;

namespace Floodgate.Core.Tests.Fingerprinting;

/// <summary>
/// Realistic mail built in the test from a fixed-seed generator: a mail is a subject, a greeting and
/// paragraphs, rendered as plain text, HTML or both.
/// </summary>
internal sealed record Mail(string Subject, string Greeting, IReadOnlyList<string> Paragraphs, IReadOnlyList<(string Text, string Url)> Links)
{
    public Mail WithGreeting(string greeting) => this with { Greeting = greeting };

    public Mail WithSubject(string subject) => this with { Subject = subject };

    public Mail WithParagraphs(IReadOnlyList<string> paragraphs) => this with { Paragraphs = paragraphs };

    public Mail WithLinks(IReadOnlyList<(string Text, string Url)> links) => this with { Links = links };

    public string PlainText()
    {
        var text = new StringBuilder();
        if (Greeting.Length > 0)
        {
            text.Append(Greeting).Append("\r\n\r\n");
        }

        foreach (string paragraph in Paragraphs)
        {
            text.Append(Wrap(paragraph)).Append("\r\n\r\n");
        }

        foreach (var (label, url) in Links)
        {
            text.Append(label).Append(": ").Append(url).Append("\r\n");
        }

        return text.ToString();
    }

    public string Html()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><title>").Append(Subject).Append("</title>")
            .Append("<style>body{font-family:Arial,sans-serif;color:#333}.footer{font-size:11px}</style></head>")
            .Append("<body><table width=\"100%\" cellpadding=\"0\"><tr><td class=\"content\">");
        if (Greeting.Length > 0)
        {
            html.Append("<p>").Append(Greeting).Append("</p>\r\n");
        }

        foreach (string paragraph in Paragraphs)
        {
            html.Append("<p>").Append(paragraph.Replace("&", "&amp;", StringComparison.Ordinal)).Append("</p>\r\n");
        }

        foreach (var (label, url) in Links)
        {
            html.Append("<p>").Append(label).Append(": <a href=\"").Append(url.Replace("&", "&amp;", StringComparison.Ordinal))
                .Append("\" style=\"color:#06c\">").Append(url).Append("</a></p>\r\n");
        }

        html.Append("</td></tr></table><script>var t=1;</script></body></html>");
        return html.ToString();
    }

    public MimeMessage ToMessage(MailFormat format)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.com"));
        message.To.Add(new MailboxAddress("Recipient", "recipient@example.org"));
        message.Subject = Subject;
        var body = new BodyBuilder();
        if (format != MailFormat.Html)
        {
            body.TextBody = PlainText();
        }

        if (format != MailFormat.Plain)
        {
            body.HtmlBody = Html();
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    private static string Wrap(string paragraph)
    {
        // Plain-text mail wraps at about 72 columns; HTML does not: the fingerprint must not care.
        var text = new StringBuilder();
        int column = 0;
        foreach (string word in paragraph.Split(' '))
        {
            if (column > 0 && column + word.Length > 72)
            {
                text.Append("\r\n");
                column = 0;
            }
            else if (column > 0)
            {
                text.Append(' ');
                column++;
            }

            text.Append(word);
            column += word.Length;
        }

        return text.ToString();
    }
}

internal enum MailFormat
{
    Plain,
    Html,
    Alternative,
}

internal sealed class MailCorpus(int seed)
{
    private static readonly string[] FirstNames =
        ["John", "Mary", "Aisha", "Carlos", "Wei", "Fatima", "Peter", "Ingrid", "Tomasz", "Olivia", "Kenji", "Lucia"];

    private static readonly string[] LastNames =
        ["Smith", "Okafor", "Garcia", "Chen", "Novak", "Jensen", "Rossi", "Tanaka", "Müller", "Brown"];

    private readonly Random _random = new(seed);

    public string Name() => Pick(FirstNames) + " " + Pick(LastNames);

    public string FirstName() => Pick(FirstNames);

    public string Token() => Convert.ToHexString(BitConverter.GetBytes(_random.NextInt64())).ToLowerInvariant() + _random.Next(1000, 9999);

    public Mail MeetingNotes()
    {
        string project = Pick(["Atlas", "Borealis", "Cobalt", "Delta"]);
        var paragraphs = Sentences(
        [
            $"Here are the notes from Tuesday's {project} sync, thanks everyone for joining at short notice.",
            "Attendees were the platform team, two people from support and our product manager.",
            $"{Name()} gave an update on the database migration; the staging rollout is planned for the {_random.Next(2, 28)}th and production a week later.",
            "We agreed to freeze schema changes until the migration is complete, except for urgent fixes that have been reviewed by two people.",
            "Support raised the backlog of tickets about slow exports; the root cause seems to be the report generator holding locks for too long.",
            $"{Name()} will profile the export job and share findings before the next meeting.",
            "The on-call rotation for next month is published on the wiki; please swap shifts directly with each other and update the calendar.",
            "Budget for the new monitoring tool was approved, so we can start the trial in the coming sprint.",
            "There was a long discussion about retiring the legacy API; we will send a deprecation notice to customers with at least six months of warning.",
            "Action items are tracked in the project board, each with an owner and a due date.",
            "Next sync is on Thursday at the usual time; the agenda document is open for additions until Wednesday evening.",
        ], 8);
        return new Mail($"{project} sync notes", "Hi team,", paragraphs, []);
    }

    public Mail Invoice()
    {
        string number = $"INV-{_random.Next(2023, 2026)}-{_random.Next(1000, 9999)}";
        var paragraphs = Sentences(
        [
            $"Please find attached invoice {number} for the consulting services provided in March.",
            $"The total amount due is {_random.Next(800, 9000)}.{_random.Next(10, 99)} EUR including VAT, payable within thirty days of the invoice date.",
            $"Payment can be made by bank transfer to IBAN DE{_random.Next(10, 99)} 5001 0517 {_random.Next(1000, 9999)} 7788 12, quoting the invoice number as reference.",
            "The invoice covers the architecture review, two on-site workshops and the written recommendations delivered last week.",
            "Travel expenses are itemised separately on the second page together with the receipts.",
            "If your accounts payable department requires a purchase order number on the invoice, let me know and I will reissue it.",
            "Late payments are subject to statutory interest as set out in our framework agreement.",
            "Thank you for your business, it has been a pleasure working with your team on this engagement.",
        ], 7);
        return new Mail($"Invoice {number}", $"Dear {Name()},", paragraphs, []);
    }

    public Mail PersonalReply()
    {
        var paragraphs = Sentences(
        [
            "Thanks so much for the photos from the weekend, the kids have been looking at them all evening.",
            "It was lovely to finally see the new house, and the garden is going to be wonderful once the apple trees grow.",
            "Mum asked whether you are coming for her birthday in June; she would love to have everyone around the table again.",
            "We are thinking of renting a cottage by the lake for a few days in August, would you like to join us?",
            "The car is finally fixed, although the garage found another problem with the brakes, so it was not cheap.",
            "Give my love to Anna and tell her I still have the recipe for that lemon cake she asked about.",
            "Let's talk on the phone this weekend, Sunday afternoon works best for us.",
        ], 6);
        return new Mail("Re: photos from Saturday", $"Hi {FirstName()},", paragraphs, []);
    }

    /// <summary>A newsletter from a fixed template; <paramref name="articles"/> chooses the stories.</summary>
    public Mail Newsletter(int[] articles)
    {
        var paragraphs = new List<string>
        {
            "Welcome to this week's edition of the Northwind Gardening Newsletter, your weekly round-up of tips, offers and stories from our community.",
        };
        foreach (int article in articles)
        {
            paragraphs.Add(Articles[article]);
        }

        paragraphs.Add("You are receiving this newsletter because you subscribed on our website. You can change your preferences or unsubscribe at any time using the links below.");
        paragraphs.Add("Northwind Gardening Ltd, 12 Orchard Lane, Bristol, United Kingdom.");
        var links = new List<(string, string)>
        {
            ("Read online", $"https://news.northwind-garden.example/issues/{_random.Next(100, 999)}?utm_source=newsletter&utm_medium=email&utm_campaign=weekly&sid={Token()}"),
            ("Unsubscribe", $"https://news.northwind-garden.example/unsubscribe?u={Token()}"),
        };
        return new Mail($"Northwind weekly #{_random.Next(100, 999)}", $"Hello {FirstName()},", paragraphs, links);
    }

    public static int ArticleCount => Articles.Length;

    private static readonly string[] Articles =
    [
        "Spring pruning without fear: most shrubs that flower on new wood can be cut back hard now, while those that flower in early spring should wait until after their blossoms fade, otherwise you remove this year's buds.",
        "Our soil testing kits are back in stock. Knowing the acidity of your beds tells you whether blueberries and rhododendrons will thrive or whether lavender and clematis are the better choice.",
        "Reader story: Margaret turned a neglected corner of her allotment into a pollinator meadow in a single season, sowing native wildflowers and leaving the grass long around the edges for ground nesting bees.",
        "Tomatoes sulking in the greenhouse? Uneven watering is the usual cause of blossom end rot, so water deeply twice a week rather than a little every day, and mulch to keep the moisture in.",
        "This month's offer: twenty percent off all fruit cages and netting until the end of the month, just in time to protect your strawberries from blackbirds and pigeons.",
        "Composting in small spaces works better than you think. A sealed bokashi bin under the sink ferments kitchen scraps in two weeks, ready to be dug into a container or raised bed.",
        "Ask the expert: our head gardener explains why hydrangea flowers change colour with soil chemistry and how aluminium sulphate can turn pink blooms towards blue over a couple of seasons.",
        "Event: join us for the summer open garden weekend, with guided walks through the rose collection, a plant swap table and talks on drought tolerant planting schemes for sunny borders.",
    ];

    private List<string> Sentences(string[] pool, int count)
    {
        // Paragraphs of two or three sentences from a shuffled pool: texts of the same kind overlap but are not equal.
        var order = pool.ToArray();
        _random.Shuffle(order);
        var paragraphs = new List<string>();
        int i = 0;
        while (i < Math.Min(count, order.Length))
        {
            int take = Math.Min(_random.Next(2, 4), Math.Min(count, order.Length) - i);
            paragraphs.Add(string.Join(' ', order, i, take));
            i += take;
        }

        return paragraphs;
    }

    private string Pick(string[] values) => values[_random.Next(values.Length)];
}
