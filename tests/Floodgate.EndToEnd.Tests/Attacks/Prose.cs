using System.Text;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// Paragraphs of ordinary words in random order from a fixed seed. Every call is a different text:
/// two of them share almost no 4-word shingle (a vocabulary of 160 words), so the fingerprint sees
/// unrelated e-mails, as an attacker who varies every message would make them. Plain words only: the
/// normaliser reduces numbers and random-looking tokens, so those would make texts look alike.
/// </summary>
internal sealed class Prose(int seed)
{
    private static readonly string[] Words =
    [
        "account", "address", "advice", "afternoon", "agenda", "agreement", "answer", "apple", "approval", "area",
        "article", "autumn", "balance", "basket", "battery", "beach", "bicycle", "board", "bottle", "bridge",
        "budget", "building", "cabinet", "calendar", "camera", "candle", "canvas", "carpet", "castle", "ceiling",
        "chair", "channel", "chapter", "cheese", "circle", "climate", "clock", "cloud", "coffee", "collar",
        "comfort", "contract", "corner", "cotton", "country", "courage", "cousin", "cradle", "custom", "danger",
        "debate", "decision", "desk", "detail", "diamond", "dinner", "doctor", "drawer", "dream", "engine",
        "evening", "export", "fabric", "factory", "family", "feather", "fence", "festival", "field", "finger",
        "flower", "forest", "fountain", "garden", "garage", "glass", "guitar", "hammer", "harbour", "harvest",
        "helmet", "history", "holiday", "honey", "horizon", "island", "jacket", "journey", "kettle", "kitchen",
        "ladder", "lantern", "leather", "lemon", "letter", "library", "lizard", "machine", "magnet", "market",
        "meadow", "meeting", "mirror", "morning", "mountain", "museum", "needle", "notebook", "ocean", "office",
        "orange", "orchard", "package", "paddle", "painting", "palace", "parcel", "pencil", "pepper", "picture",
        "pillow", "planet", "pocket", "poetry", "portrait", "printer", "puzzle", "quarter", "rabbit", "railway",
        "record", "ribbon", "river", "saddle", "sailor", "season", "shadow", "shelter", "silver", "sister",
        "station", "stone", "summer", "sunset", "supper", "table", "teacher", "theatre", "ticket", "timber",
        "tower", "tunnel", "umbrella", "valley", "velvet", "village", "violin", "wagon", "window", "winter",
    ];

    private readonly Random _random = new(seed);

    /// <summary><paramref name="count"/> paragraphs of <paramref name="words"/> words each, CRLF line ends.</summary>
    public string Paragraphs(int count, int words = 40)
    {
        var sb = new StringBuilder();
        for (var p = 0; p < count; p++)
        {
            for (var w = 0; w < words; w++)
            {
                var word = Words[_random.Next(Words.Length)];
                sb.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                // Ten words a line; no line starts with a dot, so the text needs no dot-stuffing.
                sb.Append(w == words - 1 ? ".\r\n" : w % 10 == 9 ? "\r\n" : " ");
            }

            sb.Append("\r\n");
        }

        return sb.ToString();
    }

    public string Subject() => $"{Words[_random.Next(Words.Length)]} and {Words[_random.Next(Words.Length)]}";
}
