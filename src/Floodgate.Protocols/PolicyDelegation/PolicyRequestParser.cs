using System.Buffers;

namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// Parses the Postfix policy delegation protocol (SMTPD_POLICY_README): <c>name=value</c> lines ended by
/// LF, a request ended by an empty line. Never throws on client input.
/// </summary>
public static class PolicyRequestParser
{
    /// <summary>
    /// Consumes complete lines into <paramref name="request"/>. Returns true when the empty line ending
    /// the request was read. Returns false with <see cref="PolicyParseError.None"/> when more data is
    /// needed (the lines read so far stay in the request; call again with the rest), or false with an
    /// error when the request is refused; the connection cannot be resynchronised after an error.
    /// Call <see cref="PolicyRequest.Reset"/> before the next request.
    /// </summary>
    /// <remarks>
    /// Postfix ends lines with LF only; a CR before the LF is dropped so that hand-typed sessions work.
    /// The value is everything after the first '=' and may be empty or contain '='. A repeated attribute
    /// keeps its last value. Unknown attributes are counted and ignored.
    /// </remarks>
    public static bool TryParse(ref SequenceReader<byte> reader, PolicyRequest request, out PolicyParseError error)
    {
        var limits = request.Limits;
        while (true)
        {
            // Look for the newline only within one line's worth of data so a flood without newlines
            // costs O(limit), not O(buffered).
            var unread = reader.UnreadSequence;
            var window = unread.Length > limits.MaxLineLength + 2 ? unread.Slice(0, limits.MaxLineLength + 2) : unread;
            var newline = window.PositionOf((byte)'\n');
            if (newline is null)
            {
                error = window.Length > limits.MaxLineLength + 1 ? PolicyParseError.LineTooLong
                    : request.ByteCount + window.Length > limits.MaxRequestSize ? PolicyParseError.RequestTooLarge
                    : PolicyParseError.None;
                return false;
            }

            var line = window.Slice(0, newline.Value);
            var lineLength = (int)line.Length;
            if (lineLength > 0 && line.Slice(lineLength - 1).FirstSpan[0] == (byte)'\r')
            {
                line = line.Slice(0, lineLength - 1);
                lineLength--;
            }

            if (lineLength > limits.MaxLineLength)
            {
                error = PolicyParseError.LineTooLong;
                return false;
            }

            var consumed = (int)window.Slice(0, newline.Value).Length + 1;
            if (request.ByteCount + consumed > limits.MaxRequestSize)
            {
                error = PolicyParseError.RequestTooLarge;
                return false;
            }

            reader.Advance(consumed);
            request.ByteCount += consumed;
            if (lineLength == 0)
            {
                error = request.AttributeCount == 0 ? PolicyParseError.EmptyRequest
                    : request.ValueEquals(PolicyAttribute.Request, "smtpd_access_policy"u8) ? PolicyParseError.None
                    : PolicyParseError.UnsupportedRequest;
                return error == PolicyParseError.None;
            }

            if (++request.AttributeCount > limits.MaxAttributes)
            {
                error = PolicyParseError.TooManyAttributes;
                return false;
            }

            var bytes = request.Append(line, out var start);
            var equals = bytes.IndexOf((byte)'=');
            if (equals <= 0)
            {
                error = PolicyParseError.MalformedLine;
                return false;
            }

            if (PolicyAttributeNames.TryLookup(bytes[..equals], out var attribute))
            {
                request.Set(attribute, start + equals + 1, lineLength - equals - 1, start + lineLength);
            }
        }
    }
}
