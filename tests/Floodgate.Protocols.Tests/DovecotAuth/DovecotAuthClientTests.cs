using System.Net;
using Floodgate.Protocols.DovecotAuth;

namespace Floodgate.Protocols.Tests.DovecotAuth;

public sealed class DovecotAuthClientTests
{
    private static DovecotAuthRequest Login(string login = "ann@acme.test", string password = "correct horse") =>
        new(login, password, IPAddress.Parse("192.0.2.7"), IPAddress.Loopback, Secured: true);

    private static DovecotAuthClient Client(FakeDovecot server, TimeSpan? timeout = null, int maxPending = 100) =>
        new(new DovecotAuthOptions { EndPoint = server.EndPoint, Timeout = timeout ?? TimeSpan.FromSeconds(5), MaxPending = maxPending });

    [Fact]
    public async Task OkNamesTheUserAndFailIsAFailure()
    {
        await using var server = new FakeDovecot
        {
            Answer = line => line.Contains("resp=AGFubkBhY21lLnRlc3QAY29ycmVjdCBob3JzZQ==", StringComparison.Ordinal)
                ? $"OK\t{FakeDovecot.Id(line)}\tuser=ann@acme.test"
                : $"FAIL\t{FakeDovecot.Id(line)}\tuser=ann@acme.test",
        };
        await using var client = Client(server);

        var good = await client.AuthenticateAsync(Login(), CancellationToken.None);
        var bad = await client.AuthenticateAsync(Login(password: "wrong"), CancellationToken.None);

        Assert.Equal(new DovecotAuthResult(DovecotAuthOutcome.Succeeded, "ann@acme.test"), good);
        Assert.Equal(DovecotAuthOutcome.Failed, bad.Outcome);
    }

    [Fact]
    public async Task RequestCarriesTheClientAddressAndSecured()
    {
        await using var server = new FakeDovecot();
        await using var client = Client(server);
        await client.AuthenticateAsync(Login(), CancellationToken.None);

        var auth = Assert.Single(server.Received, l => l.StartsWith("AUTH", StringComparison.Ordinal)).Split('\t');
        Assert.Contains("rip=192.0.2.7", auth);
        Assert.Contains("lip=127.0.0.1", auth);
        Assert.Contains("secured", auth);
        Assert.Contains("service=smtp", auth);
        Assert.StartsWith("CPID\t", server.Received.ElementAt(1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswersOutOfOrderReachTheirOwnRequestsOnOneConnection()
    {
        var held = new List<string>();
        await using var server = new FakeDovecot
        {
            Answer = line =>
            {
                lock (held)
                {
                    held.Add(line);
                }

                return null;
            },
        };
        await using var client = Client(server);

        var logins = Enumerable.Range(0, 8).Select(i => client.AuthenticateAsync(Login($"u{i}@acme.test"), CancellationToken.None).AsTask()).ToArray();
        while (true)
        {
            lock (held)
            {
                if (held.Count == logins.Length)
                {
                    break;
                }
            }

            await Task.Delay(10);
        }

        // Answered last to first, each naming the user its own request carried.
        for (var i = held.Count - 1; i >= 0; i--)
        {
            var login = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(held[i].Split("resp=")[1])).Split('\0')[1];
            await server.SendAsync($"OK\t{FakeDovecot.Id(held[i])}\tuser={login}");
        }

        var results = await Task.WhenAll(logins);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"u{i}@acme.test"), results.Select(r => r.User));
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task RefusedConnectionIsUnavailable()
    {
        var port = FreePort();
        await using var client = new DovecotAuthClient(new DovecotAuthOptions { EndPoint = $"127.0.0.1:{port}" });

        var result = await client.AuthenticateAsync(Login(), CancellationToken.None);
        Assert.Equal(DovecotAuthOutcome.Unavailable, result.Outcome);
        Assert.True(result.NotSent);
    }

    [Fact]
    public async Task ConnectionLostMidRequestIsUnavailableAndTheNextLoginReconnects()
    {
        await using var server = new FakeDovecot { Answer = _ => null };
        await using var client = Client(server);
        var pending = client.AuthenticateAsync(Login(), CancellationToken.None).AsTask();
        while (!server.Received.Any(l => l.StartsWith("AUTH", StringComparison.Ordinal)))
        {
            await Task.Delay(10);
        }

        server.DropConnections();
        var lost = await pending.WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(DovecotAuthOutcome.Unavailable, lost.Outcome);

        // Dovecot had the password: not "never sent", so the throttle keeps the attempt.
        Assert.False(lost.NotSent);

        server.Answer = line => $"OK\t{FakeDovecot.Id(line)}\tuser=ann@acme.test";
        Assert.Equal(DovecotAuthOutcome.Succeeded, (await client.AuthenticateAsync(Login(), CancellationToken.None)).Outcome);
        Assert.Equal(2, server.Accepted);
    }

    [Fact]
    public async Task NoAnswerWithinTheTimeoutIsUnavailable()
    {
        await using var server = new FakeDovecot { Answer = _ => null };
        await using var client = Client(server, TimeSpan.FromMilliseconds(300));

        var result = await client.AuthenticateAsync(Login(), CancellationToken.None);

        Assert.Equal(DovecotAuthOutcome.Unavailable, result.Outcome);
        Assert.Equal(0, client.Pending);
    }

    [Fact]
    public async Task TemporaryFailureIsUnavailableNotAWrongPassword()
    {
        await using var server = new FakeDovecot { Answer = line => $"FAIL\t{FakeDovecot.Id(line)}\tuser=ann@acme.test\ttemp" };
        await using var client = Client(server);

        Assert.Equal(DovecotAuthOutcome.Unavailable, (await client.AuthenticateAsync(Login(), CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task ChallengeIsAFailureAndTheRequestIsCancelled()
    {
        await using var server = new FakeDovecot { Answer = line => $"CONT\t{FakeDovecot.Id(line)}\t" };
        await using var client = Client(server);

        Assert.Equal(DovecotAuthOutcome.Failed, (await client.AuthenticateAsync(Login(), CancellationToken.None)).Outcome);
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (!server.Received.Any(l => l.StartsWith("CANCEL\t", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Contains(server.Received, l => l.StartsWith("CANCEL\t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LoginsBeyondThePendingBoundAreUnavailableAtOnce()
    {
        await using var server = new FakeDovecot { Answer = _ => null };
        await using var client = Client(server, TimeSpan.FromSeconds(5), maxPending: 2);
        var held = new[] { client.AuthenticateAsync(Login(), CancellationToken.None).AsTask(), client.AuthenticateAsync(Login(), CancellationToken.None).AsTask() };
        while (client.Pending < 2)
        {
            await Task.Delay(10);
        }

        var third = await client.AuthenticateAsync(Login(), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(DovecotAuthOutcome.Unavailable, third.Outcome);
        Assert.All(held, t => Assert.False(t.IsCompleted));
    }

    [Fact]
    public async Task ServerWithoutPlainIsUnavailable()
    {
        await using var server = new FakeDovecot("VERSION\t1\t2\nMECH\tGSSAPI\nDONE\n");
        await using var client = Client(server);

        Assert.Equal(DovecotAuthOutcome.Unavailable, (await client.AuthenticateAsync(Login(), CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task GarbageFromTheServerDropsTheConnectionWithoutAPass()
    {
        await using var server = new FakeDovecot { Answer = _ => "OK\tnot-a-number\tuser=ann@acme.test" };
        await using var client = Client(server);

        Assert.Equal(DovecotAuthOutcome.Unavailable, (await client.AuthenticateAsync(Login(), CancellationToken.None)).Outcome);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
