using System.Net;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// One serve with the login throttle set explicitly; each test guesses at its own mailbox from its
/// own loopback address (Linux routes all of 127/8 to loopback), so their failures never add up.
/// </summary>
public sealed class LoginAttackFixture : IAsyncLifetime
{
    public const int MaxFailuresPerLogin = 5;
    public const int MaxFailuresPerAddress = 10;

    public static readonly string[] Mailboxes = ["parallel@login.test", "lead@login.test", "trail@login.test", "case@login.test", "owner@login.test"];

    public FloodgateProcess Floodgate { get; } = new();

    public async Task InitializeAsync()
    {
        await ServerState.AddClientAsync(Floodgate, "Login", null, ["login.test"], Mailboxes);
        Floodgate.Environment["FLOODGATE_LoginThrottle__MaxFailuresPerLogin"] = MaxFailuresPerLogin.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Floodgate.Environment["FLOODGATE_LoginThrottle__MaxFailuresPerAddress"] = MaxFailuresPerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Floodgate.StartAsync(Submission.PrivateDoors);
    }

    public Task DisposeAsync() => Floodgate.DisposeAsync().AsTask();
}

public sealed class LoginAttackTests(LoginAttackFixture fixture) : IClassFixture<LoginAttackFixture>
{
    [Fact]
    public async Task ParallelGuessesAtOneLoginGetNoMoreFailuresThanTheThrottleAllows()
    {
        const int Guesses = 20;
        var from = IPAddress.Parse("127.0.0.3");
        var clients = await Task.WhenAll(Enumerable.Range(0, Guesses).Select(_ => GreetAsync(from)));
        try
        {
            // Every connection is ready first; then all guesses go at once, as a botnet's would.
            var replies = await Task.WhenAll(clients.Select((c, i) => AuthAsync(c, "parallel@login.test", $"guess {i}")));

            var failures = replies.Count(r => r.StartsWith("535", StringComparison.Ordinal));
            Assert.True(failures <= LoginAttackFixture.MaxFailuresPerLogin, $"{failures} of {Guesses} parallel guesses were checked against the password:\n{string.Join('\n', replies)}");
            Assert.All(replies, r => Assert.True(r.StartsWith("535", StringComparison.Ordinal) || r.StartsWith("454 4.7.0", StringComparison.Ordinal), r));
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("lead@login.test", " lead@login.test", "127.0.0.4", "a leading space: the login lookup trims it, so it is the same mailbox")]
    [InlineData("trail@login.test", "TRAIL@LOGIN.TEST ", "127.0.0.5", "upper case and a trailing space: the same mailbox to the lookup")]
    [InlineData("case@login.test", "CASE@LOGIN.TEST", "127.0.0.6", "upper case alone: logins are addresses, case-insensitive")]
    public async Task AnotherSpellingOfAThrottledLoginIsThrottledToo(string login, string spelling, string address, string reason)
    {
        await using var c = await GreetAsync(IPAddress.Parse(address));
        for (var i = 0; i < LoginAttackFixture.MaxFailuresPerLogin; i++)
        {
            Assert.StartsWith("535", await AuthAsync(c, login, $"guess {i}"));
        }

        var reply = await AuthAsync(c, spelling, "one more guess");

        Assert.True(reply.StartsWith("454 4.7.0", StringComparison.Ordinal), $"\"{spelling}\" ({reason}) got: {reply}");
    }

    [Fact]
    public async Task GuessesFromAnotherAddressDoNotLockTheOwnerOut()
    {
        await using (var attacker = await GreetAsync(IPAddress.Parse("127.0.0.2")))
        {
            for (var i = 0; i < LoginAttackFixture.MaxFailuresPerLogin; i++)
            {
                Assert.StartsWith("535", await AuthAsync(attacker, "owner@login.test", $"guess {i}"));
            }
        }

        await using var owner = await GreetAsync(IPAddress.Loopback);

        Assert.StartsWith("235", await AuthAsync(owner, "owner@login.test", Submission.Password));
    }

    private async Task<RawSmtpClient> GreetAsync(IPAddress from)
    {
        var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp, from);
        Assert.StartsWith("220", await c.ReadReplyAsync());
        await c.SendAsync("EHLO client.test\r\n");
        Assert.StartsWith("250", await c.ReadReplyAsync());
        return c;
    }

    private static async Task<string> AuthAsync(RawSmtpClient c, string login, string password)
    {
        await c.SendAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{login}\0{password}")) + "\r\n");
        return await c.ReadReplyAsync();
    }
}
