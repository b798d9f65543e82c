using System.Net;
using System.Net.Http.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Accounts;

public sealed class MailboxesApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public MailboxesApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task AMailboxIsAnsweredWithItsPlanLimitsAndPrimaryContactAndNeverAHash()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Support);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Shown"), AccountsHarness.Unique("s") + ".example", "ann");

        using var response = await http.GetAsync($"/api/v1/mailboxes/{seeded.MailboxId}");
        var body = await response.BodyAsync();
        var mailbox = await response.ReadAsync<MailboxView>();

        Assert.Equal((seeded.DomainId, seeded.ClientId, true), (mailbox.Domain.Id, mailbox.Client.Id, mailbox.HasPassword));
        Assert.Equal("+1 555 0100", mailbox.Contact.Phone);
        Assert.Equal(new PlanLimits().Mailbox.MessagesPerHour, mailbox.Plan?.Limits.Mailbox.MessagesPerHour);
        Assert.DoesNotContain("argon2", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("passwordHash", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AnAddedMailboxInADomainThatDoesNotExistAnswers400NamingTheAddress()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await http.PostAsJsonAsync("/api/v1/mailboxes", new MailboxCreate("bob@" + AccountsHarness.Unique("nowhere") + ".example", null, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"address\"", await response.BodyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASetPasswordIsNeverAnsweredNorAuditedAndTheEngineTakesOnlyTheNewOneAtOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Pw"), AccountsHarness.Unique("pw") + ".example", "ann");
        await _serve.RefreshAsync();
        const string fresh = "a brand new passphrase";

        using var response = await http.PutAsJsonAsync($"/api/v1/mailboxes/{seeded.MailboxId}/password", new PasswordSet(fresh));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.BodyAsync());
        Assert.True(_serve.Get<AccountDirectory>().TryGetMailbox(seeded.MailboxId, out var state));
        var hasher = _serve.Get<PasswordHasher>();
        Assert.True(hasher.Verify(fresh, state.PasswordHash!));
        Assert.False(hasher.Verify(TestServe.Password, state.PasswordHash!));
        var audit = (await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "mailbox.password", TargetId: seeded.MailboxId))).Items.Single();
        Assert.DoesNotContain(fresh, audit.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMailboxMayBeCreatedWithADovecotHashAndAMalformedOneIsRefused()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Hash"), AccountsHarness.Unique("hash") + ".example", "ann");
        var domain = (await _serve.Get<AccountStore>().GetDomainAsync(seeded.DomainId)).Domain.Name;
        const string hash = "{BLF-CRYPT}$2y$05$wb1svd1cNLl6rHbcoEf1i.7PnGwuevgIWo0QVI4JmM5BCPPfCaaIa";

        using var created = await http.PostAsJsonAsync("/api/v1/mailboxes", new MailboxCreate("bob@" + domain, null, null, hash));
        using var malformed = await http.PostAsJsonAsync("/api/v1/mailboxes", new MailboxCreate("eve@" + domain, null, null, "$2y$05$noscheme"));
        using var both = await http.PutAsJsonAsync($"/api/v1/mailboxes/{seeded.MailboxId}/password", new PasswordSet("a brand new passphrase", hash));
        using var set = await http.PutAsJsonAsync($"/api/v1/mailboxes/{seeded.MailboxId}/password", new PasswordSet(null, hash));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.ReadAsync<MailboxView>();
        Assert.True(view.HasPassword);
        Assert.DoesNotContain("$2y$", await created.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("{SCHEME}hash", await malformed.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        Assert.True(_serve.Get<AccountDirectory>().TryGetMailbox(seeded.MailboxId, out var state));
        Assert.Equal(hash, state.PasswordHash);
        var audit = (await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "mailbox.password", TargetId: seeded.MailboxId))).Items.Single();
        Assert.Contains("BLF-CRYPT", audit.Details, StringComparison.Ordinal);
        Assert.DoesNotContain("$2y$", audit.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowedSendersAreTakenFromTheOwnClientsDomainsOnly()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var own = await _serve.SeedClientAsync(AccountsHarness.Unique("Own"), AccountsHarness.Unique("own") + ".example", "ann");
        var other = await _serve.SeedClientAsync(AccountsHarness.Unique("Else"), AccountsHarness.Unique("else") + ".example", "eve");
        var ownDomain = (await _serve.Get<AccountStore>().GetDomainAsync(own.DomainId)).Domain.Name;
        var otherDomain = (await _serve.Get<AccountStore>().GetDomainAsync(other.DomainId)).Domain.Name;

        var updated = await (await http.PatchAsJsonAsync($"/api/v1/mailboxes/{own.MailboxId}", new { allowedSenders = new[] { "Sales@" + ownDomain, "*@" + ownDomain } })).ReadAsync<MailboxView>();
        using var refused = await http.PatchAsJsonAsync($"/api/v1/mailboxes/{own.MailboxId}", new { allowedSenders = new[] { "ceo@" + otherDomain } });

        Assert.Equal(["sales@" + ownDomain, "*@" + ownDomain], updated.AllowedSenders);
        Assert.True(_serve.Get<AccountDirectory>().TryGetMailbox(own.MailboxId, out var state));
        Assert.True(state.MaySendAs("anyone@" + ownDomain));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("not a domain of this mailbox's client", await refused.BodyAsync(), StringComparison.Ordinal);
        Assert.False(state.MaySendAs("ceo@" + otherDomain));
    }

    [Fact]
    public async Task AnEmptyDisplayNameClearsItAndAFieldLeftOutStays()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Named"), AccountsHarness.Unique("n") + ".example", "ann");
        await http.PatchAsJsonAsync($"/api/v1/mailboxes/{seeded.MailboxId}", new { displayName = "Ann A.", allowedSenders = Array.Empty<string>() });

        var named = await (await http.PatchAsJsonAsync($"/api/v1/mailboxes/{seeded.MailboxId}", new { })).ReadAsync<MailboxView>();
        var cleared = await (await http.PatchAsJsonAsync($"/api/v1/mailboxes/{seeded.MailboxId}", new { displayName = "" })).ReadAsync<MailboxView>();

        Assert.Equal("Ann A.", named.DisplayName);
        Assert.Null(cleared.DisplayName);
    }
}
