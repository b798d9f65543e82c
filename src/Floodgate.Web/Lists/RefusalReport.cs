using System.Globalization;
using System.Text;
using Floodgate.Doors.Relay;

namespace Floodgate.Web.Lists;

/// <summary>
/// The delivery status notification (RFC 3464) for a member's copy the upstream refused during the
/// SMTP dialogue. No MTA writes one for a refusal at RCPT or DATA: the refusal is the relay's own
/// answer, so without this report it would count against nobody. Written as an MTA writes it, it
/// goes through the same intake as any bounce (classified, kept, applied to the member its VERP
/// address names): one rule for a dead address however its death is reported.
/// </summary>
internal static class RefusalReport
{
    public static byte[] Create(string listAddress, string bounceAddress, string recipient, RelayResult refusal, DateTimeOffset at)
    {
        var domain = listAddress[(listAddress.IndexOf('@', StringComparison.Ordinal) + 1)..];
        // The reply's text may span lines (a multiline reply): one line per field (RFC 3464 2.3.6).
        var text = string.Join(' ', refusal.Text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var status = string.IsNullOrEmpty(refusal.EnhancedCode) ? (refusal.Code >= 500 ? "5.0.0" : "4.0.0") : refusal.EnhancedCode;
        var reply = string.IsNullOrEmpty(refusal.EnhancedCode)
            ? string.Create(CultureInfo.InvariantCulture, $"{refusal.Code} {text}")
            : string.Create(CultureInfo.InvariantCulture, $"{refusal.Code} {refusal.EnhancedCode} {text}");
        var boundary = "refusal-" + Guid.NewGuid().ToString("N");
        var message =
            $"From: Mail Delivery System <MAILER-DAEMON@{domain}>\r\n" +
            $"To: <{bounceAddress}>\r\n" +
            "Subject: Undelivered Mail Returned to Sender\r\n" +
            $"Date: {at.ToString("r", CultureInfo.InvariantCulture)}\r\n" +
            "Auto-Submitted: auto-replied\r\n" +
            "MIME-Version: 1.0\r\n" +
            $"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n" +
            "\r\n" +
            $"--{boundary}\r\n" +
            "Content-Type: text/plain; charset=us-ascii\r\n" +
            "\r\n" +
            $"The upstream refused the list's copy for <{recipient}>:\r\n{reply}\r\n" +
            $"--{boundary}\r\n" +
            "Content-Type: message/delivery-status\r\n" +
            "\r\n" +
            $"Reporting-MTA: dns; {domain}\r\n" +
            "\r\n" +
            $"Final-Recipient: rfc822; {recipient}\r\n" +
            "Action: failed\r\n" +
            $"Status: {status}\r\n" +
            $"Diagnostic-Code: smtp; {reply}\r\n" +
            $"--{boundary}--\r\n";
        return Encoding.UTF8.GetBytes(message);
    }
}
