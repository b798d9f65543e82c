using System.Text;
using Floodgate.Doors.Gateway;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Gateway;

/// <summary>The gateway reads the Message-ID off the bytes; it must agree with MimeKit, which it replaced there.</summary>
public sealed class MessageHeadersTests
{
    public static TheoryData<string, string> Messages => new()
    {
        { "plain", "From: a@x.test\r\nMessage-ID: <one@x.test>\r\nSubject: hi\r\n\r\nbody\r\n" },
        { "name in lower case", "message-id: <lower@x.test>\r\n\r\nbody\r\n" },
        { "folded value", "From: a@x.test\r\nMessage-ID:\r\n <folded@x.test>\r\n\r\nbody\r\n" },
        { "white space before the colon", "Message-ID  : <spaced@x.test>\r\n\r\nbody\r\n" },
        { "no angle brackets", "Message-ID: bare@x.test\r\n\r\nbody\r\n" },
        { "comment around it", "Message-ID: (note) <commented@x.test> (more)\r\n\r\nbody\r\n" },
        { "none at all", "From: a@x.test\r\nSubject: none\r\n\r\nbody\r\n" },
        { "only in the body", "From: a@x.test\r\n\r\nMessage-ID: <body@x.test>\r\n" },
        { "an mbox From line first", "From a@x.test Sat Nov 28 03:00:00 2026\r\nMessage-ID: <mbox@x.test>\r\n\r\nbody\r\n" },
        { "bare LF line ends", "From: a@x.test\nMessage-ID: <lf@x.test>\n\nbody\n" },
        { "a stray line after the first field", "From: a@x.test\r\nnot a header\r\nMessage-ID: <stray@x.test>\r\n\r\nbody\r\n" },
        { "headers without a body", "From: a@x.test\r\nMessage-ID: <nobody@x.test>\r\n" },
        { "a blank line first", "\r\nbody only\r\n" },
        { "no header at the top", "hello world\r\nMessage-ID: <late@x.test>\r\n\r\nbody\r\n" },
        { "a space before the first field", " From: a@x.test\r\n\r\nbody\r\n" },
        { "empty", "" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void AgreesWithMimeKit(string reason, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        bool mimeKitParses;
        string? mimeKitId = null;
        try
        {
            using var stream = new MemoryStream(bytes);
            mimeKitId = MimeMessage.Load(stream).MessageId;
            mimeKitParses = true;
        }
        catch (FormatException)
        {
            mimeKitParses = false;
        }

        var parses = MessageHeaders.TryRead(bytes, out var id, out _);

        Assert.True(mimeKitParses == parses, $"{reason}: MimeKit parses {mimeKitParses}, the gateway {parses}");
        if (parses)
        {
            Assert.True(mimeKitId == id, $"{reason}: MimeKit '{mimeKitId}', the gateway '{id}'");
        }
    }
}
