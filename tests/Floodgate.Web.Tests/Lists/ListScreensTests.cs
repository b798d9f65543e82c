using System.Net;
using System.Text;
using Floodgate.Storage.Access;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The console's and the portal's list screens: what they show, the changes they make, and the portal's confinement to its own client.</summary>
public sealed class ListScreensTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public ListScreensTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task ConsoleListPageShowsMembersCountsAndTheStatusBar()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.ReadOnly);

        var index = await session.Http.GetStringAsync("/Lists");
        var page = await session.Http.GetStringAsync($"/Lists/{world.List.Id}");

        Assert.Contains(world.List.Address, index, StringComparison.Ordinal);
        Assert.Contains(member.Address, page, StringComparison.Ordinal);
        Assert.Contains("<svg class=\"status-bar\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("?handler=Import", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleMemberPageShowsTheConsentRecordAndHistory()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.Support);

        var page = await session.Http.GetStringAsync($"/Lists/{world.List.Id}/Members/{member.Id}");

        Assert.Contains("192.0.2.7", page, StringComparison.Ordinal);
        Assert.Contains("confirmed by web", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleImportMakesPendingMembersAndSaysSo()
    {
        var world = await _serve.SeedListAsync();
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.Administrator);
        var page = $"/Lists/{world.List.Id}";

        using var response = await session.PostFormAsync(page, page + "?handler=Import", new Dictionary<string, string> { ["source"] = "fair stand", ["addresses"] = "x1@reader.example\ny1@reader.example" });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("2 pending", await session.Http.GetStringAsync(page), StringComparison.Ordinal);
        Assert.Equal(MemberStatus.Pending, (await _serve.Get<ListStore>().FindMemberAsync(world.List.Id, "x1@reader.example"))!.Status);
    }

    [Fact]
    public async Task PortalShowsTheOwnClientsListsAnd404ForAnothers()
    {
        var mine = await _serve.SeedListAsync("mine");
        var theirs = await _serve.SeedListAsync("theirs");
        var member = await _serve.ConfirmedMemberAsync(theirs);
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.ClientAdministrator, mine.ClientId);

        var index = await session.Http.GetStringAsync("/Portal/Lists");
        using var other = await session.Http.GetAsync($"/Portal/Lists/{theirs.List.Id}");
        using var otherMember = await session.Http.GetAsync($"/Portal/Lists/{theirs.List.Id}/Members/{member.Id}");
        using var crossed = await session.Http.GetAsync($"/Portal/Lists/{mine.List.Id}/Members/{member.Id}");

        Assert.Contains(mine.List.Address, index, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.List.Address, index, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, otherMember.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, crossed.StatusCode);
    }

    [Fact]
    public async Task PortalShowsAKeptBounceOfItsOwnListAsPlainText()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var list = await _serve.Get<ListStore>().GetListAsync(world.List.Id);
        var raw = Encoding.ASCII.GetBytes(ListsKit.Dsn(member.Address, list.Address));
        var outcome = await _serve.Get<ListService>().IngestBounceAsync(raw, "http", _serve.Get<ListLinks>().BounceAddress(list, member.Id));
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.ClientAdministrator, world.ClientId);

        using var response = await session.Http.GetAsync($"/Portal/Lists/Bounces/{outcome.BounceMessageId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Status: 5.1.1", await response.BodyAsync(), StringComparison.Ordinal);
    }
}
