using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>
/// Plays a recorded SMTP or LMTP session against a connected client. Format, one item a line:
/// <code>
/// # comment
/// @ option [value]    read by the test that starts the server, skipped here
/// C: text             sent with CRLF; consecutive C: lines go out in one write (pipelining)
/// S: text             the next reply line, compared exactly
/// S: &lt;close&gt;          the server closes the connection
/// T: +hh:mm:ss        the server's clock (a FakeTimeProvider, still otherwise) moves on
/// </code>
/// In C: lines, \xHH is a byte and {c*N} is c repeated N times.
/// </summary>
internal static partial class TranscriptPlayer
{
    public static async Task PlayAsync(string name, string[] lines, SmtpTestClient client, FakeTimeProvider time)
    {
        var pending = new List<byte>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("C: ", StringComparison.Ordinal) || line == "C:")
            {
                pending.AddRange(Expand(line.Length > 3 ? line[3..] : string.Empty));
                pending.Add((byte)'\r');
                pending.Add((byte)'\n');
                continue;
            }

            if (pending.Count > 0)
            {
                await client.SendAsync([.. pending]);
                pending.Clear();
            }

            if (line.StartsWith("T: +", StringComparison.Ordinal))
            {
                time.Advance(TimeSpan.Parse(line[4..], CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("S: ", StringComparison.Ordinal))
            {
                var expected = line[3..];
                var actual = await client.ReadLineAsync();
                if (expected == "<close>")
                {
                    Assert.True(actual is null, $"{name}:{i + 1}: expected the server to close, got '{actual}'");
                }
                else
                {
                    Assert.True(expected == actual, $"{name}:{i + 1}: expected '{expected}', got '{actual}'");
                }
            }
        }

        if (pending.Count > 0)
        {
            await client.SendAsync([.. pending]);
        }
    }

    /// <summary>The "@ option value" lines of a transcript, split into words.</summary>
    public static IEnumerable<string[]> Options(string[] lines)
    {
        foreach (var line in lines)
        {
            if (line.StartsWith("@ ", StringComparison.Ordinal))
            {
                yield return line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    private static byte[] Expand(string text)
    {
        text = Repeat().Replace(text, static m => new string(m.Groups[1].Value[0], int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length + 0 && text[i + 1] == 'x')
            {
                bytes.Add(byte.Parse(text.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        return [.. bytes];
    }

    [GeneratedRegex(@"\{(.)\*(\d+)\}")]
    private static partial Regex Repeat();
}
