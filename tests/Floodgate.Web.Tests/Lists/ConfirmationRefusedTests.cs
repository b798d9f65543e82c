using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Web.Tests.Lists;

/// <summary>A confirmation the upstream refuses in the dialogue is a bounce: a dead address is not asked again.</summary>
public sealed class ConfirmationRefusedTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "floodgate-confirm-" + Guid.NewGuid().ToString("N")[..8]);
    private ListStore _store = null!;
    private ListService _service = null!;
    private MailingList _list = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var factory = Floodgate.Storage.Tests.TestDatabases.Factory(_dir);
        await FloodgateDb.InitializeAsync(factory);
        var accounts = new AccountStore(factory, new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 }), TimeProvider.System);
        var client = await accounts.AddClientAsync(new NewClient("Acme", "Ann", "+1 555 010 0100", "ann@acme.example"), "test");
        await accounts.AddDomainAsync(client.Id, "acme.example", "test");
        _store = new ListStore(factory, TimeProvider.System, new HygieneOptions());
        _list = await _store.CreateListAsync(client.Id, new NewList("news@acme.example", "Acme News", null, []), "test");
        var tokens = new ListTokens(await _store.GetOrCreateSigningKeyAsync("lists"));
        var options = new ListOptions();
        var links = new ListLinks(tokens, new WebOptions(), options, TimeProvider.System);
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = Path.Combine(_dir, "spool") });
        var mailer = new ListMailer(new RefusingUpstream(), spool, links, TimeProvider.System);
        _service = new ListService(_store, mailer, links, new BounceInbox(_store, tokens, TimeProvider.System), new BounceReputation(_store, TimeProvider.System), TimeProvider.System, NullLogger<ListService>.Instance);
    }

    public Task DisposeAsync()
    {
        Floodgate.Storage.Tests.TestDatabases.Release(_dir);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AConfirmationRefusedAsUserUnknownRemovesThePendingRequest()
    {
        var result = await _service.RequestAsync(_list.Id, "gone@example.org", new ConsentSource("web", "192.0.2.1", null));
        var member = (await _store.GetMemberAsync(result.Member.Id))!;
        Assert.Equal(MemberStatus.Removed, member.Status);
        var bounce = Assert.Single(await _store.BouncesOfMemberAsync(member.Id));
        Assert.Equal("userunknown", bounce.Reason);
        Assert.Empty(await _store.NoticesDueAsync(10));
    }

    /// <summary>The upstream's answer for an address it does not have, as Postfix gives it at RCPT.</summary>
    private sealed class RefusingUpstream : IMessageRelay
    {
        public string Describe() => "refusing upstream";

        public ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, MessageContent message, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new RelayResult(Outcome.Rejected, 550, "5.1.1", $"<{recipients[0]}>: Recipient address rejected: User unknown in local recipient table"));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
