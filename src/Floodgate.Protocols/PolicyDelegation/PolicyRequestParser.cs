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
            ReadOnlySpan<byte> line;
            int consumed;

            // Fast path: the whole line lies in the current segment (almost always true).
            var current = reader.UnreadSpan;
            var newlineInSpan = current[..Math.Min(current.Length, limits.MaxLineLength + 2)].IndexOf((byte)'\n');
            if (newlineInSpan >= 0)
            {
                line = current[..newlineInSpan];
                consumed = newlineInSpan + 1;
            }
            else
            {
                // Look for the newline only within one line's worth of data so a flood without
                // newlines costs O(limit), not O(buffered).
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

                var lineSequence = window.Slice(0, newline.Value);
                consumed = (int)lineSequence.Length + 1;
                if (consumed > limits.MaxLineLength + 2)
                {
                    error = PolicyParseError.LineTooLong;
                    return false;
                }

                // Copied into the request's own buffer, where a kept value would go anyway.
                line = request.Append(lineSequence, out _);
            }

            var lineLength = line.Length;
            if (lineLength > 0 && line[lineLength - 1] == (byte)'\r')
            {
                lineLength--;
                line = line[..lineLength];
            }

            if (lineLength > limits.MaxLineLength)
            {
                error = PolicyParseError.LineTooLong;
                return false;
            }

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

            var equals = line.IndexOf((byte)'=');
            if (equals <= 0)
            {
                error = PolicyParseError.MalformedLine;
                return false;
            }

            if (PolicyAttributeNames.TryLookup(line[..equals], out var attribute))
            {
                request.Keep(attribute, line[(equals + 1)..]);
            }
        }
    }
}
