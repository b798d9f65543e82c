using Floodgate.Core.Accounts;
using Floodgate.Core.Bounces;
using Floodgate.Core.Lists;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Web.Tests.Lists;

/// <summary>List bounces reaching the detector's reputation seam, per poster mailbox.</summary>
public sealed class BounceReputationTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "floodgate-reputation-" + Guid.NewGuid().ToString("N")[..8]);
    private IDbContextFactory<FloodgateDbContext> _factory = null!;
    private ListStore _store = null!;
    private MailingList _list = null!;
    private int _mailboxId;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _factory = Floodgate.Storage.Tests.TestDatabases.Factory(_dir);
        await FloodgateDb.InitializeAsync(_factory);
        var accounts = new AccountStore(_factory, new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 }), TimeProvider.System);
        var client = await accounts.AddClientAsync(new NewClient("Acme", "Ann", "+1 555 010 0100", "ann@acme.example"), "test");
        await accounts.AddDomainAsync(client.Id, "acme.example", "test");
        _mailboxId = (await accounts.AddMailboxAsync(new NewMailbox("alice@acme.example"), "test")).Id;
        _store = new ListStore(_factory, TimeProvider.System, new HygieneOptions());
        _list = await _store.CreateListAsync(client.Id, new NewList("news@acme.example", "Acme News", null, ["alice@acme.example"]), "test");
    }

    public Task DisposeAsync()
    {
        Floodgate.Storage.Tests.TestDatabases.Release(_dir);
        return Task.CompletedTask;
    }

    private MailboxState Alice => new(_mailboxId, new DomainState(1, new ClientState(1)));

    private async Task PostSentAsync(int copies)
    {
        var post = await _store.EnqueuePostAsync(_list.Id, _mailboxId, "news", null, "Subject: news\r\n\r\nhi\r\n"u8.ToArray());
        await _store.SavePostProgressAsync(post.Id, 0, copies, 0, PostStatus.Done, null, null);
    }

    private async Task BouncesAsync(int count, BounceReason reason, string status, bool hard)
    {
        for (var i = 0; i < count; i++)
        {
            var report = new BounceReport(BounceKind.Failure, [new FailedRecipient($"r{i}@example.org", status, reason, hard, "no", null, null, null)], null);
            await _store.RecordBounceAsync(new BounceIntake("test", null, "x"u8.ToArray(), report, _list.Id, null));
        }
    }

    [Fact]
    public async Task ManyDeadAddressesGiveThePosterAReputationSignal()
    {
        await PostSentAsync(200);
        await BouncesAsync(20, BounceReason.UserUnknown, "5.1.1", hard: true);
        var reputation = new BounceReputation(_store, TimeProvider.System);
        await reputation.RefreshAsync();
        var signal = reputation.Assess(Alice, DateTimeOffset.UtcNow);
        Assert.NotNull(signal);
        Assert.Equal("reputation", signal.Rule);
        Assert.Contains("dead addresses", signal.Explanation, StringComparison.Ordinal);
        Assert.Contains("200 list copies", signal.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyRefusalsCountForTheSender()
    {
        await PostSentAsync(200);
        await BouncesAsync(10, BounceReason.SpamDetected, "5.7.1", hard: false);
        var reputation = new BounceReputation(_store, TimeProvider.System);
        await reputation.RefreshAsync();
        Assert.Contains("refused for policy", reputation.Assess(Alice, DateTimeOffset.UtcNow)!.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFewBouncesOfABigListSayNothing()
    {
        await PostSentAsync(10_000);
        await BouncesAsync(20, BounceReason.UserUnknown, "5.1.1", hard: true);
        var reputation = new BounceReputation(_store, TimeProvider.System);
        await reputation.RefreshAsync();
        Assert.Null(reputation.Assess(Alice, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task BelowTheSampleARateSaysNothing()
    {
        await PostSentAsync(BounceReputation.MinSent - 1);
        await BouncesAsync(20, BounceReason.UserUnknown, "5.1.1", hard: true);
        var reputation = new BounceReputation(_store, TimeProvider.System);
        await reputation.RefreshAsync();
        Assert.Null(reputation.Assess(Alice, DateTimeOffset.UtcNow));
    }
}
