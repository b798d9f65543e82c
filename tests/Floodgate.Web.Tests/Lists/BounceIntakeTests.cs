using System.Net;
using System.Text;
using Floodgate.Storage.Access;
using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Lists;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Lists;

/// <summary>POST /api/v1/bounces: a raw message in, kept as received, applied to the member its VERP address names.</summary>
public sealed class BounceIntakeTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public BounceIntakeTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task DsnToAMembersVerpAddressMovesItsScoreAndKeepsTheRawBounce()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var verp = _serve.Get<ListLinks>().BounceAddress(await _serve.Get<ListStore>().GetListAsync(world.List.Id), member.Id);
        var dsn = ListsKit.Dsn(member.Address, world.List.Address);
        using var admin = await _serve.ApiClientAsync(WebRole.AbuseDesk);

        using var response = await admin.PostAsync($"/api/v1/bounces?recipient={Uri.EscapeDataString(verp)}", new StringContent(dsn, Encoding.ASCII, "message/rfc822"));
        var outcome = await response.ReadAsync<BounceOutcome>();

        Assert.Equal("failure", outcome.Kind);
        Assert.Equal(member.Id, Assert.Single(outcome.Changes).MemberId);
        Assert.True((await _serve.MemberAsync(member.Id)).BounceScore > 0);
        var detail = await (await admin.GetAsync($"/api/v1/lists/{world.List.Id}/members/{member.Id}")).ReadAsync<MemberDetailView>();
        var bounce = Assert.Single(detail.Bounces);
        Assert.Equal("5.1.1", bounce.Status);
        Assert.True(bounce.Hard);
        using var raw = await admin.GetAsync($"/api/v1/bounces/{bounce.BounceId}/raw");
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType?.MediaType);
        Assert.Equal(dsn, await raw.BodyAsync());
    }

    [Fact]
    public async Task RawBounceOfAnotherClientsListIs404ForAClientAdministrator()
    {
        var world = await _serve.SeedListAsync();
        var other = await _serve.SeedListAsync("other");
        var member = await _serve.ConfirmedMemberAsync(world);
        var verp = _serve.Get<ListLinks>().BounceAddress(await _serve.Get<ListStore>().GetListAsync(world.List.Id), member.Id);
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        var outcome = await (await admin.PostAsync($"/api/v1/bounces?recipient={Uri.EscapeDataString(verp)}", new StringContent(ListsKit.Dsn(member.Address, world.List.Address), Encoding.ASCII, "message/rfc822"))).ReadAsync<BounceOutcome>();
        using var owner = await _serve.ApiClientAsync(WebRole.ClientAdministrator, world.ClientId);
        using var stranger = await _serve.ApiClientAsync(WebRole.ClientAdministrator, other.ClientId);

        using var own = await owner.GetAsync($"/api/v1/bounces/{outcome.BounceMessageId}/raw");
        using var foreign = await stranger.GetAsync($"/api/v1/bounces/{outcome.BounceMessageId}/raw");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task GarbageIsKeptAsNoBounceAndChangesNoMember()
    {
        var world = await _serve.SeedListAsync();
        var member = await _serve.ConfirmedMemberAsync(world);
        var verp = _serve.Get<ListLinks>().BounceAddress(await _serve.Get<ListStore>().GetListAsync(world.List.Id), member.Id);
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await admin.PostAsync($"/api/v1/bounces?recipient={Uri.EscapeDataString(verp)}", new ByteArrayContent([0xff, 0x00, 0x13, 0x37, 0x0a]) { Headers = { ContentType = new("application/octet-stream") } });
        var outcome = await response.ReadAsync<BounceOutcome>();

        Assert.Contains(outcome.Kind, new[] { "not-bounce", "malformed" });
        Assert.Empty(outcome.Changes);
        var after = await _serve.MemberAsync(member.Id);
        Assert.Equal(MemberStatus.Confirmed, after.Status);
        Assert.Equal(0, after.BounceScore);
    }

    [Fact]
    public async Task BodyOverTheRequestLimitIs413()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        var limit = _serve.Get<WebOptions>().MaxRequestBodyBytes;

        using var response = await admin.PostAsync("/api/v1/bounces", new ByteArrayContent(new byte[limit + 1]) { Headers = { ContentType = new("message/rfc822") } });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task JsonBodyIs415NamingTheTypesTaken()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await admin.PostAsync("/api/v1/bounces", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("message/rfc822", await response.BodyAsync(), StringComparison.Ordinal);
    }
}
