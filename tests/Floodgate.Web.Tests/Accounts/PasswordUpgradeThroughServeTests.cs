using System.Security.Cryptography;
using System.Text;
using Floodgate.Storage;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Enforcement;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Web.Tests.Accounts;

/// <summary>The whole of serve: AUTH at the gateway against an imported SSHA512 hash upgrades it, and the session goes on sending.</summary>
public sealed class PasswordUpgradeThroughServeTests
{
    [Fact]
    public async Task ImportedHashIsUpgradedAfterAuthAndTheSessionKeepsSending()
    {
        await using var serve = await TestServe.StartAsync();
        var client = await serve.SeedAsync("Upgrade");
        var factory = serve.Get<IDbContextFactory<FloodgateDbContext>>();
        var imported = Ssha512(TestServe.Password);
        await using (var db = await factory.CreateDbContextAsync())
        {
            await db.Mailboxes.Where(m => m.Id == client.MailboxId).ExecuteUpdateAsync(m => m.SetProperty(x => x.PasswordHash, imported));
        }

        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);

        using var smtp = await serve.SmtpAsync(client.Address, TestServe.Password);
        await smtp.SendAsync(client.Address, "before the upgrade");

        string? stored = imported;
        for (var i = 0; i < 100 && stored == imported; i++)
        {
            await Task.Delay(100);
            await using var db = await factory.CreateDbContextAsync();
            stored = await db.Mailboxes.Where(m => m.Id == client.MailboxId).Select(m => m.PasswordHash).SingleAsync();
        }

        Assert.StartsWith("$argon2id$", stored, StringComparison.Ordinal);
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);

        // Same connection, same AUTH: the rehash of the same password is not a password change.
        await smtp.SendAsync(client.Address, "after the upgrade");
        await smtp.DisconnectAsync(quit: true);
        using var again = await serve.SmtpAsync(client.Address, TestServe.Password);
        await again.DisconnectAsync(quit: true);
        await using (var db = await factory.CreateDbContextAsync())
        {
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "mailbox.password_upgraded" && a.Actor == "system" && a.TargetId == client.MailboxId));
        }
    }

    /// <summary>Dovecot's SSHA512: Base64 of SHA-512(password + salt), then the salt.</summary>
    private static string Ssha512(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(8);
        var digest = SHA512.HashData([.. Encoding.UTF8.GetBytes(password), .. salt]);
        return "{SSHA512}" + Convert.ToBase64String([.. digest, .. salt]);
    }
}
