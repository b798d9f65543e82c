using System.CommandLine;
using System.Text.Json;
using Floodgate.Commands;

namespace Floodgate.Storage.Tests;

/// <summary><c>floodgate bounce classify</c> in-process, as Program.cs builds it.</summary>
public sealed class BounceCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));

    public BounceCommandsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        foreach (var command in BounceCommands.Create(cli))
            root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content.ReplaceLineEndings("\r\n"));
        return path;
    }

    [Fact]
    public async Task EachFailedRecipientIsOneJsonLineAndANonBounceNoneAndAnUnreadableFileAnErrorAtTheEnd()
    {
        // Postfix bounce(5) text form, and an RFC 5965 Appendix B style complaint, and an RFC 3834 auto-reply.
        var bounce = Write("bounce.eml", """
            From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)
            To: ann@sender.example
            Subject: Undelivered Mail Returned to Sender

            This is the mail system at host mx.sender.example.

            <bob@receiver.example>: host mx.receiver.example[192.0.2.25] said: 550 5.1.1
                <bob@receiver.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)
            <carol@receiver.example>: host mx.receiver.example[192.0.2.25] said: 550 5.7.1
                Service unavailable; client [198.51.100.7] blocked using zen.spamhaus.org (in reply to RCPT TO command)
            """);
        var complaint = Write("complaint.eml", """
            From: fbl@isp.example
            To: abuse@sender.example
            Subject: complaint
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="b"

            --b
            Content-Type: text/plain

            An abuse report.
            --b
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            Version: 1
            Original-Rcpt-To: <dan@isp.example>
            --b--
            """);
        var autoReply = Write("auto.eml", """
            From: eve@receiver.example
            To: ann@sender.example
            Subject: Out of office
            Auto-Submitted: auto-replied

            Away until Monday.
            """);
        var missing = Path.Combine(_dir, "missing.eml");

        var (exitCode, output, error) = await RunAsync("bounce", "classify", bounce, missing, complaint, autoReply);

        Assert.Equal(1, exitCode);
        Assert.Contains($"error: {missing}:", error, StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal($$"""{"file":{{JsonSerializer.Serialize(bounce)}},"recipient":"bob@receiver.example","status":"5.1.1","reason":"userunknown","hard":true}""", lines[0]);
        Assert.Equal($$"""{"file":{{JsonSerializer.Serialize(bounce)}},"recipient":"carol@receiver.example","status":"5.7.1","reason":"blocked","hard":false}""", lines[1]);
        Assert.Equal($$"""{"file":{{JsonSerializer.Serialize(complaint)}},"recipient":"dan@isp.example","status":"","reason":"feedback","hard":false,"feedbacktype":"abuse"}""", lines[2]);
    }

    [Fact]
    public async Task AllFilesReadableAndClassifiedExitZero()
    {
        var ordinary = Write("ordinary.eml", "From: bob@receiver.example\nTo: ann@sender.example\nSubject: hi\n\nhello\n");

        var (exitCode, output, error) = await RunAsync("bounce", "classify", ordinary);

        Assert.Equal((0, "", ""), (exitCode, output, error));
    }
}
