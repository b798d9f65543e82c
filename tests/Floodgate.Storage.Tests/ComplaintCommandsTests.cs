using System.CommandLine;
using System.Text;
using System.Text.Json;
using Floodgate.Commands;
using Floodgate.Core.Complaints;
using Floodgate.Storage.Accounts;

namespace Floodgate.Storage.Tests;

/// <summary><c>floodgate bounce ingest</c> with ARF complaints: attributed with the data folder's key, a malformed report refused.</summary>
public sealed class ComplaintCommandsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        TestDatabases.Release(_data);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(byte[]? stdin, params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        cli.PasswordHashing = new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 };
        cli.StdinBytes = () => new MemoryStream(stdin ?? []);
        foreach (var command in AccountCommands.Create(cli))
            root.Subcommands.Add(command);
        foreach (var command in BounceCommands.Create(cli))
            root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse([.. TestDatabases.CliArgs(_data), .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string Arf(string feedbackId, bool withOriginal = true) => ("""
        From: <fbl@mailbox.example>
        To: <fbl@provider.test>
        Subject: complaint
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report; boundary="r"

        --r
        Content-Type: text/plain

        A complaint about a message from your network.

        --r
        Content-Type: message/feedback-report

        Feedback-Type: abuse
        User-Agent: ExampleFBL/1.0
        Version: 1

        """ + (withOriginal ? $"""
        --r
        Content-Type: text/rfc822-headers

        CFBL-Feedback-ID: {feedbackId}
        From: <alice@acme.example>
        Message-ID: <cli-1@acme.example>


        """ : "") + """
        --r--

        """).ReplaceLineEndings("\r\n");

    [Fact]
    public async Task AComplaintSignedWithTheDataFoldersKeyIsAttributedAndAMalformedOneExitsWithItsReason()
    {
        Assert.Equal(0, (await RunAsync(null, "client", "add", "Acme", "--contact-name", "Ann", "--contact-phone", "+1 555 010 0100", "--contact-email", "ann@contact.example")).ExitCode);
        Assert.Equal(0, (await RunAsync(null, "domain", "add", "acme.example", "--client", "Acme")).ExitCode);
        Assert.Equal(0, (await RunAsync(null, "mailbox", "add", "alice@acme.example")).ExitCode);
        using var shown = JsonDocument.Parse((await RunAsync(null, "--json", "mailbox", "show", "alice@acme.example")).Output);
        var mailboxId = shown.RootElement.GetProperty("id").GetInt32();
        // serve and the CLI share the key made at first use in the data folder.
        var ids = new FeedbackId(Floodgate.Web.Complaints.ComplaintKey.LoadOrCreate(new ComplaintOptions(), _data));

        var good = await RunAsync(Encoding.ASCII.GetBytes(Arf(ids.Create(mailboxId, DateTimeOffset.UtcNow))), "bounce", "ingest");
        var forged = await RunAsync(Encoding.ASCII.GetBytes(Arf(new FeedbackId(new byte[32]).Create(mailboxId, DateTimeOffset.UtcNow))), "bounce", "ingest");
        var malformed = await RunAsync(Encoding.ASCII.GetBytes(Arf("x", withOriginal: false)), "bounce", "ingest");

        Assert.True(good.ExitCode == 0, good.Error);
        Assert.Contains("attributed to alice@acme.example (trace-header: trace header verified)", good.Output, StringComparison.Ordinal);
        Assert.Equal(0, forged.ExitCode);
        Assert.Contains("not attributed (none: trace header failed verification; the Message-ID is not in the transaction log)", forged.Output, StringComparison.Ordinal);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("error: malformed ARF report: no original message", malformed.Error, StringComparison.Ordinal);
        Assert.Contains("no complaint was recorded", malformed.Error, StringComparison.Ordinal);
    }
}
