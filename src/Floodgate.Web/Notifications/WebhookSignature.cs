using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Floodgate.Web.Notifications;

/// <summary>
/// The webhook signature: <c>v1=</c> and the lower-case hex HMAC-SHA256, keyed with the UTF-8 bytes
/// of the endpoint's secret, of the timestamp (unix seconds, as in <see cref="TimestampHeader"/>),
/// a dot and the raw body. Signing the timestamp lets a receiver refuse replays of an old request.
/// After a rotation both secrets sign, comma-separated.
/// </summary>
public static class WebhookSignature
{
    public const string EventIdHeader = "Floodgate-Event-Id";
    public const string EventTypeHeader = "Floodgate-Event-Type";
    public const string TimestampHeader = "Floodgate-Timestamp";
    public const string SignatureHeader = "Floodgate-Signature";
    public const string Version = "v1";

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Version + "=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>The header's value: the current secret's signature, and the previous one's while it still signs.</summary>
    public static string Header(string secret, string? previousSecret, long timestamp, ReadOnlySpan<byte> body) =>
        previousSecret is null ? Sign(secret, timestamp, body) : Sign(secret, timestamp, body) + "," + Sign(previousSecret, timestamp, body);

    /// <summary>What a receiver does: one of the header's signatures matches (in constant time) and the timestamp is within the tolerance of now.</summary>
    public static bool Verify(string secret, string header, string timestampText, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(part)))
                return true;
        }

        return false;
    }
}
