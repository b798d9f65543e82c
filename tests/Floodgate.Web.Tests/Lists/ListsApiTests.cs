using System.Net;
using System.Net.Http.Json;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The lists API: consent only ever starts pending, changes are audited, and a client administrator reaches its own client's lists only.</summary>
public sealed class ListsApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public ListsApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task ApiSubscriptionIsPendingAndSendsAConfirmation()
    {
        var world = await _serve.SeedListAsync();
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        var address = AccountsHarness.Unique("api") + "@reader.example";

        using var response = await admin.PostAsJsonAsync($"/api/v1/lists/{world.List.Id}/subscriptions", new { address, requestedFrom = "198.51.100.4", userAgent = "Their form" });
        var subscription = await response.ReadAsync<SubscriptionView>();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(MemberStatus.Pending, subscription.Member.Status);
        Assert.True(subscription.ConfirmationSent);
        ListsKit.LinkPath(await _serve.WaitForMailToAsync(address), "confirm");
        var detail = await (await admin.GetAsync($"/api/v1/lists/{world.List.Id}/members/{subscription.Member.Id}")).ReadAsync<MemberDetailView>();
        Assert.Equal("api", detail.Consent.RequestMethod);
        Assert.Equal("198.51.100.4", detail.Consent.RequestFrom);
        Assert.Equal("Their form", detail.Consent.RequestUserAgent);
        Assert.Contains(detail.History, e => e.Kind == MemberEvents.ConfirmationSent);
    }

    [Fact]
    public async Task ImportedAddressesArePendingAndNeverConfirmed()
    {
        var world = await _serve.SeedListAsync();
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        var import = await (await admin.PostAsJsonAsync($"/api/v1/lists/{world.List.Id}/imports", new { source = "sign-up sheet", addresses = new[] { "one@reader.example", "two@reader.example", "not an address" } })).ReadAsync<ImportView>();
        var members = await (await admin.GetAsync($"/api/v1/lists/{world.List.Id}/members")).ReadAsync<Page<MemberView>>();

        Assert.Equal(2, import.Added);
        Assert.Equal(["not an address"], import.Invalid);
        Assert.Equal(2, members.Items.Count);
        Assert.All(members.Items, m => Assert.Equal(MemberStatus.Pending, m.Status));
    }

    [Fact]
    public async Task MembersAreFilteredByStatusAndSearch()
    {
        var world = await _serve.SeedListAsync();
        var confirmed = await _serve.ConfirmedMemberAsync(world, "kept");
        await _serve.Get<Floodgate.Web.Lists.ListService>().RequestAsync(world.List.Id, "waiting@reader.example", new ConsentSource("web", null, null));
        using var admin = await _serve.ApiClientAsync(WebRole.ReadOnly);

        var byStatus = await (await admin.GetAsync($"/api/v1/lists/{world.List.Id}/members?status=confirmed")).ReadAsync<Page<MemberView>>();
        var bySearch = await (await admin.GetAsync($"/api/v1/lists/{world.List.Id}/members?q=waiting")).ReadAsync<Page<MemberView>>();
        using var bad = await admin.GetAsync($"/api/v1/lists/{world.List.Id}/members?status=happy");

        Assert.Equal([confirmed.Id], byStatus.Items.Select(m => m.Id));
        Assert.Equal(["waiting@reader.example"], bySearch.Items.Select(m => m.Address));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task DeletingAMemberUnsubscribesItAndIsAudited()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await admin.DeleteAsync($"/api/v1/lists/{world.List.Id}/members/{member.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MemberStatus.Unsubscribed, (await _serve.MemberAsync(member.Id)).Status);
        var audit = await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "list.member.unsubscribe", TargetKind: "list", TargetId: world.List.Id));
        Assert.Contains(audit.Items, e => e.Action == "list.member.unsubscribe" && e.TargetId == world.List.Id);
    }

    [Fact]
    public async Task BadListSettingsAreAProblemNamingWhatIsWrong()
    {
        var world = await _serve.SeedListAsync();
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await admin.PatchAsJsonAsync($"/api/v1/lists/{world.List.Id}", new { pendingLifetimeHours = 0 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("pending lifetime", await response.BodyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAdministratorListsOnlyItsOwnClientsLists()
    {
        var mine = await _serve.SeedListAsync("mine");
        var theirs = await _serve.SeedListAsync("theirs");
        using var http = await _serve.ApiClientAsync(WebRole.ClientAdministrator, mine.ClientId);

        var lists = await (await http.GetAsync("/api/v1/lists")).ReadAsync<List<ListSummaryView>>();
        using var named = await http.GetAsync($"/api/v1/lists?clientId={theirs.ClientId}");

        Assert.Equal([mine.List.Id], lists.Select(l => l.Id));
        Assert.Equal(HttpStatusCode.NotFound, named.StatusCode);
    }

    [Fact]
    public async Task ClientAdministratorGets404ForAnotherClientsListMembersAndPosts()
    {
        var mine = await _serve.SeedListAsync("mine");
        var theirs = await _serve.SeedListAsync("theirs");
        var member = await _serve.ConfirmedMemberAsync(theirs);
        using var http = await _serve.ApiClientAsync(WebRole.ClientAdministrator, mine.ClientId);

        foreach (var path in new[] { $"/api/v1/lists/{theirs.List.Id}", $"/api/v1/lists/{theirs.List.Id}/members", $"/api/v1/lists/{theirs.List.Id}/members/{member.Id}", $"/api/v1/lists/{theirs.List.Id}/posts", $"/api/v1/lists/{mine.List.Id}/members/{member.Id}" })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task ClientAdministratorCannotChangeAnotherClientsListOrMembers()
    {
        var mine = await _serve.SeedListAsync("mine");
        var theirs = await _serve.SeedListAsync("theirs");
        var member = await _serve.ConfirmedMemberAsync(theirs);
        using var http = await _serve.ApiClientAsync(WebRole.ClientAdministrator, mine.ClientId);

        using var patched = await http.PatchAsJsonAsync($"/api/v1/lists/{theirs.List.Id}", new { name = "Taken over" });
        using var deleted = await http.DeleteAsync($"/api/v1/lists/{theirs.List.Id}/members/{member.Id}");
        using var imported = await http.PostAsJsonAsync($"/api/v1/lists/{theirs.List.Id}/imports", new { source = "x", addresses = new[] { "spam@reader.example" } });
        using var created = await http.PostAsJsonAsync("/api/v1/lists", new { clientId = theirs.ClientId, address = "other@" + theirs.Domain, name = "Other" });

        Assert.Equal(HttpStatusCode.NotFound, patched.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, imported.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, created.StatusCode);
        Assert.Equal(theirs.List.Name, (await _serve.Get<ListStore>().GetListAsync(theirs.List.Id)).Name);
        Assert.Equal(MemberStatus.Confirmed, (await _serve.MemberAsync(member.Id)).Status);
    }

    [Fact]
    public async Task ClientAdministratorCannotFeedBounces()
    {
        var mine = await _serve.SeedListAsync("mine");
        using var http = await _serve.ApiClientAsync(WebRole.ClientAdministrator, mine.ClientId);

        using var response = await http.PostAsync("/api/v1/bounces", new StringContent("Subject: x\r\n\r\nx", System.Text.Encoding.ASCII, "message/rfc822"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
