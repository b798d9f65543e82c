using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Floodgate.Protocols.DovecotAuth;

/// <summary>
/// The client side of the Dovecot authentication protocol (doc.dovecot.org, "Dovecot Authentication
/// Protocol"): lines of TAB-separated fields ending in LF, the first field the command. Server input
/// never throws: a line that cannot be read is reported, and the client drops the connection.
/// </summary>
public static class DovecotAuthParser
{
    /// <summary>Longer than any line Dovecot sends to an auth client (its own limit is 8 KiB per line for requests).</summary>
    public const int MaxLineLength = 16 * 1024;

    /// <summary>
    /// The next complete line (without its LF), or false when more input is needed. A line longer than
    /// <see cref="MaxLineLength"/> sets <paramref name="tooLong"/>: the peer is not speaking the protocol.
    /// </summary>
    public static bool TryReadLine(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> line, out bool tooLong)
    {
        tooLong = false;
        if (reader.TryReadTo(out line, (byte)'\n', advancePastDelimiter: true))
        {
            tooLong = line.Length > MaxLineLength;
            return !tooLong;
        }

        tooLong = reader.Remaining > MaxLineLength;
        return false;
    }

    /// <summary>Parses one line (without its LF; a trailing CR is tolerated).</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out DovecotAuthLine result, out string? error)
    {
        result = default;
        error = null;
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        var command = NextField(ref line);
        if (command.SequenceEqual("OK"u8) || command.SequenceEqual("FAIL"u8))
        {
            var ok = command[0] == (byte)'O';
            if (!TryParseId(NextField(ref line), out var id))
            {
                error = "an OK or FAIL without a request id";
                return false;
            }

            string? user = null;
            string? reason = null;
            var temporary = false;
            while (!line.IsEmpty)
            {
                var field = NextField(ref line);
                if (field.StartsWith("user="u8))
                {
                    user = Unescape(field[5..]);
                }
                else if (field.StartsWith("reason="u8))
                {
                    reason = Unescape(field[7..]);
                }
                else if (field.SequenceEqual("temp"u8))
                {
                    temporary = true;
                }
            }

            result = new DovecotAuthLine(ok ? DovecotAuthLineKind.Ok : DovecotAuthLineKind.Fail, id, user, temporary, reason);
            return true;
        }

        if (command.SequenceEqual("CONT"u8))
        {
            if (!TryParseId(NextField(ref line), out var id))
            {
                error = "a CONT without a request id";
                return false;
            }

            result = new DovecotAuthLine(DovecotAuthLineKind.Cont, id);
            return true;
        }

        if (command.SequenceEqual("VERSION"u8))
        {
            if (!Utf8Parser.TryParse(NextField(ref line), out int major, out var used) || used == 0 || major < 0)
            {
                error = "a VERSION without a major version";
                return false;
            }

            result = new DovecotAuthLine(DovecotAuthLineKind.Version, MajorVersion: major);
            return true;
        }

        if (command.SequenceEqual("MECH"u8))
        {
            var name = NextField(ref line);
            if (name.IsEmpty)
            {
                error = "a MECH without a name";
                return false;
            }

            result = new DovecotAuthLine(DovecotAuthLineKind.Mech, IsPlain: Ascii.EqualsIgnoreCase(name, "PLAIN"u8));
            return true;
        }

        result = new DovecotAuthLine(
            command.SequenceEqual("DONE"u8) ? DovecotAuthLineKind.Done
            : command.SequenceEqual("SPID"u8) ? DovecotAuthLineKind.Spid
            : command.SequenceEqual("CUID"u8) ? DovecotAuthLineKind.Cuid
            : DovecotAuthLineKind.Other);
        return true;
    }

    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> line)
    {
        var tab = line.IndexOf((byte)'\t');
        ReadOnlySpan<byte> field;
        if (tab < 0)
        {
            field = line;
            line = [];
        }
        else
        {
            field = line[..tab];
            line = line[(tab + 1)..];
        }

        return field;
    }

    private static bool TryParseId(ReadOnlySpan<byte> field, out uint id) =>
        Utf8Parser.TryParse(field, out id, out var used) && used == field.Length && field.Length > 0;

    // Dovecot's tab-escaping (str_tabescape): 0x01 then '1', 't', 'r', 'n' or '0' stands for 0x01, TAB, CR, LF, NUL.
    private static string Unescape(ReadOnlySpan<byte> value)
    {
        if (value.IndexOf((byte)1) < 0)
        {
            return Encoding.UTF8.GetString(value);
        }

        var buffer = value.Length <= 512 ? stackalloc byte[value.Length] : new byte[value.Length];
        var written = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var b = value[i];
            if (b == 1 && i + 1 < value.Length)
            {
                i++;
                b = value[i] switch
                {
                    (byte)'t' => (byte)'\t',
                    (byte)'r' => (byte)'\r',
                    (byte)'n' => (byte)'\n',
                    (byte)'0' => 0,
                    _ => 1,
                };
            }

            buffer[written++] = b;
        }

        return Encoding.UTF8.GetString(buffer[..written]);
    }
}
