using System.Globalization;

namespace Floodgate.Core.Complaints;

/// <summary>
/// <c>Complaints</c>: the feedback loop. Every relayed message carries a signed <c>CFBL-Feedback-ID</c>
/// (RFC 9477); ARF reports that come back are attributed to the mailbox that sent the message, and the
/// complaint rate per mailbox, domain and client feeds the detector. Gmail's bulk-sender guidance
/// (stay under 0.1 %, never reach 0.3 %) gives the two rates.
/// </summary>
public sealed class ComplaintOptions
{
    /// <summary>Whether the gateway and the milter add the trace header at all.</summary>
    public bool TraceHeader { get; set; } = true;

    /// <summary>
    /// The complaint address for <c>CFBL-Address</c> (RFC 9477 3.1), e.g. fbl@example.net; none: only the
    /// Feedback-ID is added. Its domain must align with the From domain that the DKIM signature covers.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// The HMAC key of the trace header, base64 (at least 32 bytes). Empty: a key generated into the
    /// data directory (complaints.key) at first start and kept. Several nodes must share one key.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Complaints per relayed message are counted over this window.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Below this many relayed messages in the window a rate says nothing.</summary>
    public int MinMessages { get; set; } = 200;

    /// <summary>Fewer complaints than this are information, never a hold, whatever the rate.</summary>
    public int MinComplaints { get; set; } = 2;

    /// <summary>At this rate the detector holds (its HoldScore): 0.001 is 0.1 %.</summary>
    public double HoldRate { get; set; } = 0.001;

    /// <summary>At this rate the detector raises an offense (its OffenseScore): 0.003 is 0.3 %.</summary>
    public double OffenseRate { get; set; } = 0.003;

    public IEnumerable<string> Validate()
    {
        if (Address is { Length: > 0 } address && (address.IndexOf('@') is var at && (at <= 0 || at == address.Length - 1) || address.AsSpan().IndexOfAny(" ;<>\r\n\t") >= 0))
            yield return $"Complaints:Address: '{address}' is not an e-mail address (for example fbl@example.net)";
        if (SigningKey is { Length: > 0 } key && !(TryDecodeKey(key, out var bytes) && bytes.Length >= FeedbackId.MinKeyBytes))
            yield return $"Complaints:SigningKey: must be base64 of at least {FeedbackId.MinKeyBytes} bytes (for example: openssl rand -base64 32)";
        if (Window < TimeSpan.FromHours(1) || Window > TimeSpan.FromDays(90))
            yield return "Complaints:Window: must be between 1 hour and 90 days";
        if (MinMessages < 1)
            yield return "Complaints:MinMessages: must be at least 1";
        if (MinComplaints < 1)
            yield return "Complaints:MinComplaints: must be at least 1 (one complaint is information, two or more make a rate)";
        if (!(HoldRate > 0 && HoldRate < 1))
            yield return "Complaints:HoldRate: must be between 0 and 1 (0.001 is 0.1 %)";
        if (!(OffenseRate > HoldRate && OffenseRate <= 1))
            yield return string.Create(CultureInfo.InvariantCulture, $"Complaints:OffenseRate: must be above HoldRate ({HoldRate}) and at most 1");
    }

    public static bool TryDecodeKey(string text, out byte[] key)
    {
        key = [];
        try
        {
            key = Convert.FromBase64String(text.Trim());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
