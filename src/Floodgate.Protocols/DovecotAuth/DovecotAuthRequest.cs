using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Text;

namespace Floodgate.Protocols.DovecotAuth;

/// <summary>One PLAIN login to check: the credentials and what Dovecot's penalties and allow_nets need to know.</summary>
public readonly record struct DovecotAuthRequest(
    string Login,
    string Password,
    IPAddress RemoteAddress,
    IPAddress? LocalAddress,
    bool Secured,
    string Service = "smtp");

/// <summary>Writes the client's lines. No server or client text goes in raw: credentials travel base64-encoded.</summary>
public static class DovecotAuthWriter
{
    /// <summary>VERSION 1.2 and CPID: the client's half of the handshake.</summary>
    public static byte[] Handshake(int processId) =>
        Encoding.ASCII.GetBytes($"VERSION\t1\t2\nCPID\t{processId}\n");

    /// <summary>
    /// <c>AUTH	id	PLAIN	service=smtp	lip=…	rip=…	[secured]	resp=base64(\0login\0password)</c>.
    /// The buffer comes from <paramref name="pool"/>; return it after the write.
    /// </summary>
    public static int WriteAuth(uint id, in DovecotAuthRequest request, ArrayPool<byte> pool, out byte[] buffer)
    {
        var login = Encoding.UTF8.GetByteCount(request.Login);
        var password = Encoding.UTF8.GetByteCount(request.Password);
        var plain = 2 + login + password;
        var size = 128 + Encoding.UTF8.GetByteCount(request.Service) + Base64.GetMaxEncodedToUtf8Length(plain);
        buffer = pool.Rent(size);
        var span = buffer.AsSpan();
        var n = 0;
        Append(span, ref n, "AUTH\t"u8);
        Utf8Formatter.TryFormat(id, span[n..], out var w);
        n += w;
        Append(span, ref n, "\tPLAIN\tservice="u8);
        n += Encoding.UTF8.GetBytes(Safe(request.Service), span[n..]);
        if (request.LocalAddress is { } local)
        {
            Append(span, ref n, "\tlip="u8);
            local.TryFormat(span[n..], out w);
            n += w;
        }

        Append(span, ref n, "\trip="u8);
        request.RemoteAddress.TryFormat(span[n..], out w);
        n += w;
        if (request.Secured)
        {
            Append(span, ref n, "\tsecured"u8);
        }

        Append(span, ref n, "\tresp="u8);

        // RFC 4616: authzid (empty) NUL authcid NUL passwd, encoded in place at the end of the line.
        var raw = span.Slice(n, plain);
        raw[0] = 0;
        Encoding.UTF8.GetBytes(request.Login, raw[1..]);
        raw[1 + login] = 0;
        Encoding.UTF8.GetBytes(request.Password, raw[(2 + login)..]);
        // The encoding overwrites the raw credentials; the caller returns the buffer cleared.
        Base64.EncodeToUtf8InPlace(span[n..], plain, out w);
        n += w;
        span[n++] = (byte)'\n';
        return n;
    }

    /// <summary>CANCEL for a request the server answered with CONT (PLAIN with an initial response needs none).</summary>
    public static byte[] Cancel(uint id) => Encoding.ASCII.GetBytes($"CANCEL\t{id}\n");

    private static void Append(Span<byte> span, ref int n, ReadOnlySpan<byte> text)
    {
        text.CopyTo(span[n..]);
        n += text.Length;
    }

    // The service name is configuration, not input; still, a TAB or LF in it must not split the line.
    private static string Safe(string value) =>
        value.AsSpan().IndexOfAny("\t\n\r\u0001") < 0 ? value : "smtp";
}
