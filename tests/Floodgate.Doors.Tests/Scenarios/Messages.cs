using System.Text;

namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>The messages the scenarios send, CRLF line ends, generated from a fixed seed.</summary>
public static class Messages
{
    private static readonly string[] Words =
    [
        "exclusive", "offer", "today", "only", "discount", "members", "click", "below", "limited", "time",
        "save", "percent", "winter", "collection", "shipping", "free", "order", "now", "price", "best",
        "quality", "brand", "new", "arrivals", "customers", "special", "deal", "week", "store", "online",
        "premium", "selection", "gift", "voucher", "claim", "yours", "before", "midnight", "stock", "lasts",
    ];

    public static string Short => Build("Lunch?", "<short@acme.test>", "Shall we meet at noon on Thursday?\r\nAnn\r\n");

    /// <summary>A newsletter with a working List-Unsubscribe (RFC 2369): bulk by its recipients, and allowed.</summary>
    public static string Newsletter => Build("Acme news, March", "<news-1@acme.test>", "This month at Acme: the new office opens.\r\n",
        "List-Unsubscribe: <https://lists.acme.test/leave?m=1>, <mailto:leave@lists.acme.test>\r\n");

    /// <summary>A bulk mailing: the same text in every copy, a Message-ID of its own per copy; no List-Unsubscribe unless asked.</summary>
    public static string Bulk(int copy, bool listUnsubscribe = false) => Build("Winter sale: 40 % off", $"<bulk-{copy}@acme.test>", BulkBody,
        listUnsubscribe ? "List-Unsubscribe: <https://shop.acme.test/leave>\r\n" : string.Empty);

    /// <summary>A message that says it is bulk (Precedence: bulk) and gives no way to leave: refused whatever its recipients.</summary>
    public static string PrecedenceBulk => Build("Members' update", "<update-1@acme.test>", "Dear members, the club meets on Friday.\r\n", "Precedence: bulk\r\n");

    private static string BulkBody { get; } = MakeBulkBody();

    private static string MakeBulkBody()
    {
        var random = new Random(20260302);
        var body = new StringBuilder();
        for (var line = 0; line < 30; line++)
        {
            for (var w = 0; w < 10; w++)
            {
                body.Append(w == 0 ? string.Empty : " ").Append(Words[random.Next(Words.Length)]);
            }

            body.Append("\r\n");
        }

        return body.Append("To unsubscribe, reply with STOP.\r\n").ToString();
    }

    private static string Build(string subject, string messageId, string body, string extraHeaders = "") =>
        "From: Ann <ann@acme.test>\r\n" +
        extraHeaders +
        "To: undisclosed-recipients:;\r\n" +
        $"Subject: {subject}\r\n" +
        $"Message-ID: {messageId}\r\n" +
        "Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "\r\n" +
        body;
}
