namespace Floodgate.Protocols.Content;

/// <summary>
/// The facts a relay needs about a message (RFC 5321 2.3.8 line ends, 4.5.3.1.6 line length;
/// RFC 6152 8-bit), gathered chunk by chunk as the content arrives, so nobody scans it again.
/// Chunks split anywhere, also between CR and LF. One vectorised pass finds whether any octet is
/// NUL or above 127 (and only then two more say which), one IndexOf per line measures the lines.
/// </summary>
internal struct ContentScan
{
    private long _lineLength;
    private long _longestLine;
    private byte _last;

    public bool HasBareLineFeed { get; private set; }

    public bool HasNul { get; private set; }

    public bool HasEightBit { get; private set; }

    /// <summary>The longest line in octets, without its CRLF (or bare LF).</summary>
    public readonly int LongestLine => (int)Math.Min(Math.Max(_longestLine, _lineLength), int.MaxValue);

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        if ((!HasNul || !HasEightBit) && chunk.IndexOfAnyExceptInRange((byte)1, (byte)0x7F) >= 0)
        {
            HasNul |= chunk.Contains((byte)0);
            HasEightBit |= chunk.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
        }

        // _last is 0 before the first chunk, so an LF that opens the message is bare.
        var previous = _last;
        var rest = chunk;
        while (true)
        {
            var lf = rest.IndexOf((byte)'\n');
            if (lf < 0)
            {
                _lineLength += rest.Length;
                break;
            }

            var length = _lineLength + lf;
            if ((lf > 0 ? rest[lf - 1] : previous) == (byte)'\r')
            {
                length--;
            }
            else
            {
                HasBareLineFeed = true;
            }

            _longestLine = Math.Max(_longestLine, length);
            _lineLength = 0;
            previous = (byte)'\n';
            rest = rest[(lf + 1)..];
        }

        _last = chunk[^1];
    }
}
