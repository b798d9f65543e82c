using System.Text;

namespace Floodgate.Protocols.Milter;

/// <summary>
/// The macros (Sendmail "symbols") the MTA sent on one connection, kept per stage. A lookup searches the
/// latest stage first, so <c>i</c> is the current message's queue id. Names may be given with or without
/// braces: <c>{auth_authen}</c> and <c>auth_authen</c> are the same macro.
/// </summary>
/// <remarks>
/// Without a set-symlist request Postfix sends its milter_*_macros defaults: connect <c>j {daemon_name}
/// {daemon_addr} v _</c>, helo <c>{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}</c>, mail
/// <c>i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}</c>, rcpt <c>i {rcpt_addr}
/// {rcpt_host} {rcpt_mailer}</c>, data and eom <c>i</c>. The client address comes in the CONNECT packet.
/// </remarks>
public sealed class MilterMacros
{
    // Indexed by Slot; searched from the last (most recent) to the first.
    private const int SlotCount = 9;
    private readonly Stage[] _stages = new Stage[SlotCount];

    public MilterMacros()
    {
        for (var i = 0; i < SlotCount; i++)
        {
            _stages[i] = new Stage();
        }
    }

    public bool TryGet(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var bare = StripBraces(name);
        for (var i = SlotCount - 1; i >= 0; i--)
        {
            if (_stages[i].TryGet(bare, out value))
            {
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The value as a new string, or null when the MTA did not send the macro.</summary>
    public string? Get(string name)
    {
        Span<byte> utf8 = stackalloc byte[128];
        if (Encoding.UTF8.GetByteCount(name) > utf8.Length)
        {
            return null;
        }

        var length = Encoding.UTF8.GetBytes(name, utf8);
        return TryGet(utf8[..length], out var value) ? Encoding.UTF8.GetString(value) : null;
    }

    /// <summary>Replaces the macros of the stage the command byte names. Returns false when the data is malformed.</summary>
    internal bool Set(byte command, ReadOnlySpan<byte> pairs)
    {
        var slot = SlotOf(command);
        if (slot < 0)
        {
            // A stage we do not know: accept and ignore, as libmilter does.
            return true;
        }

        return _stages[slot].Set(pairs);
    }

    /// <summary>Forgets the macros of the message (from MAIL on); the connection's stay.</summary>
    internal void ClearMessage(bool keepMail = false)
    {
        for (var i = SlotOf((byte)'M') + (keepMail ? 1 : 0); i < SlotCount; i++)
        {
            _stages[i].Clear();
        }
    }

    internal void ClearAll()
    {
        foreach (var stage in _stages)
        {
            stage.Clear();
        }
    }

    private static int SlotOf(byte command) => command switch
    {
        (byte)'C' => 0,
        (byte)'H' => 1,
        (byte)'U' => 2,
        (byte)'M' => 3,
        (byte)'R' => 4,
        (byte)'T' => 5,
        (byte)'L' => 6,
        (byte)'N' => 7,
        (byte)'E' or (byte)'B' => 8,
        _ => -1,
    };

    private static ReadOnlySpan<byte> StripBraces(ReadOnlySpan<byte> name) =>
        name.Length >= 2 && name[0] == (byte)'{' && name[^1] == (byte)'}' ? name[1..^1] : name;

    private sealed class Stage
    {
        private byte[] _data = [];
        private int[] _entries = new int[16]; // (nameStart, nameLength, valueStart, valueLength) per macro
        private int _count;

        public void Clear() => _count = 0;

        public bool Set(ReadOnlySpan<byte> pairs)
        {
            _count = 0;
            if (_data.Length < pairs.Length)
            {
                _data = new byte[Math.Max(pairs.Length, Math.Min(_data.Length * 2, 1024 * 1024))];
            }

            pairs.CopyTo(_data);
            var position = 0;
            while (position < pairs.Length)
            {
                var nameEnd = pairs[position..].IndexOf((byte)0);
                if (nameEnd < 0)
                {
                    return false;
                }

                var valueStart = position + nameEnd + 1;
                var valueEnd = valueStart < pairs.Length ? pairs[valueStart..].IndexOf((byte)0) : -1;
                if (valueEnd < 0)
                {
                    return false;
                }

                var name = StripBraces(pairs.Slice(position, nameEnd));
                var nameStart = position + (nameEnd == name.Length ? 0 : 1);
                Add(nameStart, name.Length, valueStart, valueEnd);
                position = valueStart + valueEnd + 1;
            }

            return true;
        }

        private void Add(int nameStart, int nameLength, int valueStart, int valueLength)
        {
            if ((_count + 1) * 4 > _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            var e = _count * 4;
            _entries[e] = nameStart;
            _entries[e + 1] = nameLength;
            _entries[e + 2] = valueStart;
            _entries[e + 3] = valueLength;
            _count++;
        }

        public bool TryGet(ReadOnlySpan<byte> bareName, out ReadOnlySpan<byte> value)
        {
            for (var i = 0; i < _count; i++)
            {
                var e = i * 4;
                if (_data.AsSpan(_entries[e], _entries[e + 1]).SequenceEqual(bareName))
                {
                    value = _data.AsSpan(_entries[e + 2], _entries[e + 3]);
                    return true;
                }
            }

            value = default;
            return false;
        }
    }
}
