using System.Net;
using System.Text;
using Floodgate.Core.Lists;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The public list pages over real HTTP: double opt-in, RFC 8058 one-click unsubscribe, and links that are forged, misused or expired.</summary>
public sealed class ListPagesTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public ListPagesTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task DoubleOptInConfirmsOnlyWhenTheButtonIsPressedAndRecordsHow()
    {
        var world = await _serve.SeedListAsync();
        using var browser = _serve.Browser();
        var address = AccountsHarness.Unique("ann") + "@reader.example";

        using var subscribed = await browser.PostAsync($"/l/{world.List.Id}/subscribe", new FormUrlEncodedContent(new Dictionary<string, string> { ["address"] = address }));
        Assert.Equal(HttpStatusCode.OK, subscribed.StatusCode);
        Assert.Contains("confirmation link is on its way", await subscribed.BodyAsync(), StringComparison.Ordinal);
        var member = await _serve.Get<ListStore>().FindMemberAsync(world.List.Id, address);
        Assert.Equal(MemberStatus.Pending, member!.Status);
        Assert.Equal("web", member.RequestMethod);

        var link = ListsKit.LinkPath(await _serve.WaitForMailToAsync(address), "confirm");
        using var shown = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Contains(">Confirm</button>", await shown.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(MemberStatus.Pending, (await _serve.MemberAsync(member.Id)).Status);

        using var confirmed = await browser.PostAsync(link, null);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var after = await _serve.MemberAsync(member.Id);
        Assert.Equal(MemberStatus.Confirmed, after.Status);
        Assert.NotNull(after.ConfirmedAt);
        Assert.Equal("web", after.ConfirmMethod);
        Assert.Equal("ListsTestBrowser/1.0", after.ConfirmedUserAgent);
        Assert.Equal("127.0.0.1", after.ConfirmedFrom);
    }

    [Fact]
    public async Task SubscribeAnswersAMemberExactlyAsItAnswersANewAddress()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        using var browser = _serve.Browser();

        using var known = await browser.PostAsync($"/l/{world.List.Id}/subscribe", new FormUrlEncodedContent(new Dictionary<string, string> { ["address"] = member.Address }));
        var stranger = AccountsHarness.Unique("reader") + "@reader.example";
        using var fresh = await browser.PostAsync($"/l/{world.List.Id}/subscribe", new FormUrlEncodedContent(new Dictionary<string, string> { ["address"] = stranger }));

        Assert.Equal(fresh.StatusCode, known.StatusCode);
        Assert.Equal((await fresh.BodyAsync()).Replace(stranger, "X", StringComparison.Ordinal), (await known.BodyAsync()).Replace(member.Address, "X", StringComparison.Ordinal));
        Assert.Equal(MemberStatus.Confirmed, (await _serve.MemberAsync(member.Id)).Status);
    }

    [Fact]
    public async Task OneClickPostUnsubscribesWithoutSignInOrAntiforgery()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var token = _serve.Get<ListLinks>().UnsubscribeToken(member.Id);
        using var client = new HttpClient { BaseAddress = _serve.Web };

        using var response = await client.PostAsync($"/l/unsubscribe/{token}", new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await _serve.MemberAsync(member.Id);
        Assert.Equal(MemberStatus.Unsubscribed, after.Status);
        Assert.Equal("one-click", after.UnsubscribeMethod);
    }

    public static TheoryData<string, string?> OtherBodies() => new()
    {
        { "empty", null },
        { "json", "application/json" },
        { "multipart", "multipart/form-data" },
        { "text", "text/plain" },
    };

    [Theory]
    [MemberData(nameof(OtherBodies))]
    public async Task UnsubscribePostWithAnyOtherBodyUnsubscribesToo(string body, string? type)
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var token = _serve.Get<ListLinks>().UnsubscribeToken(member.Id);
        using var client = new HttpClient { BaseAddress = _serve.Web };
        HttpContent? content = type switch
        {
            null => null,
            "multipart/form-data" => new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } },
            _ => new StringContent(body == "json" ? "{\"unsubscribe\":true}" : "please", Encoding.UTF8, type),
        };

        using var response = await client.PostAsync($"/l/unsubscribe/{token}", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MemberStatus.Unsubscribed, (await _serve.MemberAsync(member.Id)).Status);
    }

    [Fact]
    public async Task GetOfTheUnsubscribeLinkOnlyShowsTheButton()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var token = _serve.Get<ListLinks>().UnsubscribeToken(member.Id);
        using var browser = _serve.Browser();

        using var response = await browser.GetAsync($"/l/unsubscribe/{token}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(">Unsubscribe</button>", await response.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(MemberStatus.Confirmed, (await _serve.MemberAsync(member.Id)).Status);
    }

    [Fact]
    public async Task ForgedUnsubscribeTokenIs400AndChangesNothing()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var token = _serve.Get<ListLinks>().UnsubscribeToken(member.Id);
        var forged = (token[^1] == 'a' ? token[..^1] + "b" : token[..^1] + "a");
        using var client = new HttpClient { BaseAddress = _serve.Web };

        using var response = await client.PostAsync($"/l/unsubscribe/{forged}", new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid", await response.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(MemberStatus.Confirmed, (await _serve.MemberAsync(member.Id)).Status);
    }

    [Fact]
    public async Task ConfirmTokenUsedOnTheUnsubscribeLinkIs400AndChangesNothing()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var confirmToken = _serve.Get<ListLinks>().ConfirmToken(member.Id);
        using var client = new HttpClient { BaseAddress = _serve.Web };

        using var response = await client.PostAsync($"/l/unsubscribe/{confirmToken}", new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(MemberStatus.Confirmed, (await _serve.MemberAsync(member.Id)).Status);
    }

    [Fact]
    public async Task ExpiredConfirmTokenIs410AndLeavesTheMemberPending()
    {
        var world = await _serve.SeedListAsync();
        var requested = await _serve.Get<ListService>().RequestAsync(world.List.Id, AccountsHarness.Unique("late") + "@reader.example", new ConsentSource("web", "192.0.2.9", null));
        var expired = _serve.Get<ListTokens>().Create(TokenPurpose.Confirm, requested.Member.Id, DateTimeOffset.UtcNow.AddHours(-1));
        using var browser = _serve.Browser();

        using var shown = await browser.GetAsync($"/l/confirm/{expired}");
        using var pressed = await browser.PostAsync($"/l/confirm/{expired}", null);

        Assert.Equal(HttpStatusCode.Gone, shown.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, pressed.StatusCode);
        Assert.Contains("expired", await pressed.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(MemberStatus.Pending, (await _serve.MemberAsync(requested.Member.Id)).Status);
    }

    [Fact]
    public async Task PageShowsTheListNameHtmlEncoded()
    {
        var world = await _serve.SeedListAsync();
        await _serve.Get<ListStore>().UpdateListAsync(world.List.Id, new ListChange(Description: "<script>alert(1)</script>"), "test");
        using var browser = _serve.Browser();

        var body = await (await browser.GetAsync($"/l/{world.List.Id}/subscribe")).BodyAsync();

        Assert.DoesNotContain("<script>alert", body, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", body, StringComparison.Ordinal);
    }
}
