using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace Floodgate.EndToEnd.Tests.Gateway;

public sealed class AuthTests
{
    private const string Password = "correct horse";

    [Fact]
    public async Task PlaintextAuthIsRefusedWithoutTlsAndAllowedAfterStartTls()
    {
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        // As a non-loopback client is treated by default.
        fg.Environment["FLOODGATE_Smtp__AllowPlaintextAuthOnLoopback"] = "false";
        await fg.StartAsync();

        await using (var raw = await RawSmtpClient.ConnectAsync(fg.Smtp))
        {
            await raw.ReadReplyAsync();
            await raw.SendAsync("EHLO x\r\n");
            var ehlo = await raw.ReadReplyAsync();
            Assert.Contains("STARTTLS", ehlo);
            Assert.DoesNotContain("AUTH", ehlo);
            await raw.SendAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0ann@acme.test\0{Password}")) + "\r\n");
            Assert.StartsWith("538 5.7.11", await raw.ReadReplyAsync());
        }

        using var client = new SmtpClient { ServerCertificateValidationCallback = static (_, _, _, e) => true };
        await client.ConnectAsync("127.0.0.1", fg.Smtp.Port, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        await client.AuthenticateAsync("ann@acme.test", Password);
        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public async Task RepeatedFailedLoginsAreThrottledEvenWithTheRightPassword()
    {
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.StartAsync();
        await using var c = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await c.ReadReplyAsync();
        await c.SendAsync("EHLO x\r\n");
        await c.ReadReplyAsync();
        var replies = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await c.SendAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0ann@acme.test\0guess{i}")) + "\r\n");
            replies.Add(await c.ReadReplyAsync());
        }

        Assert.All(replies, r => Assert.StartsWith("535 5.7.8", r));
        await c.SendAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0ann@acme.test\0{Password}")) + "\r\n");
        Assert.StartsWith("454 4.7.0", await c.ReadReplyAsync());
    }
}
