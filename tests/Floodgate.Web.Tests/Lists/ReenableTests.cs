using System.Net;
using Floodgate.Core.Bounces;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Tests.Infrastructure;
using MimeKit;

namespace Floodgate.Web.Tests.Lists;

/// <summary>A member disabled by its bounces is sent a re-enable link; the link's button, not the GET, brings it back.</summary>
public sealed class ReenableTests
{
    [Fact]
    public async Task ADisabledMemberIsSentAReenableLinkWhoseButtonBringsItBack()
    {
        await using var serve = await TestServe.StartAsync(new Dictionary<string, string?> { ["Lists:Hygiene:DisableScore"] = "1", ["Lists:Hygiene:RemoveScore"] = "5" });
        var (clientId, _, _) = await serve.SeedClientAsync("Acme", "acme.example", "alice");
        var store = serve.Get<ListStore>();
        var list = await store.CreateListAsync(clientId, new NewList("news@acme.example", "Acme News", null, ["alice@acme.example"]), "test");
        var request = await store.RequestSubscriptionAsync(list.Id, "bob@example.org", new ConsentSource("web", null, null));
        await store.MarkConfirmationSentAsync(request.Member.Id, "test");
        var bob = (await store.ConfirmAsync(request.Member.Id, new ConsentSource("web", null, null)))!;

        var report = new BounceReport(BounceKind.Failure, [new FailedRecipient("bob@example.org", "5.1.1", BounceReason.UserUnknown, true, "no such user", null, null, null)], null);
        var outcome = await store.RecordBounceAsync(new BounceIntake("test", null, "x"u8.ToArray(), report, list.Id, bob.Id));
        Assert.Equal(Core.Lists.HygieneAction.Disable, Assert.Single(outcome.Changes).Action);
        // The server's loop sends it within seconds; asked here too, it is still sent once.
        await serve.Get<ListService>().SendDueNoticesAsync();
        Assert.Equal(0, await serve.Get<ListService>().SendDueNoticesAsync());

        var outbox = Path.Combine(serve.DataDirectory, "outbox");
        var notice = Directory.GetFiles(outbox, "*.eml").Select(f => MimeMessage.Load(f)).Where(m => m.Subject?.Contains("paused", StringComparison.Ordinal) == true).Single();
        var url = notice.TextBody!.Split('\n').Select(l => l.Trim()).Single(l => l.Contains("/l/reenable/", StringComparison.Ordinal));
        var path = new Uri(url).PathAndQuery;

        using var http = new HttpClient { BaseAddress = serve.Web };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
        Assert.Equal(MemberStatus.Disabled, (await store.GetMemberAsync(bob.Id))!.Status);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(path, new FormUrlEncodedContent([]))).StatusCode);
        var back = (await store.GetMemberAsync(bob.Id))!;
        Assert.Equal(MemberStatus.Confirmed, back.Status);
        Assert.Equal(0, back.BounceScore);
        Assert.Contains(await store.MemberHistoryAsync(bob.Id), e => e.Kind == MemberEvents.ReenableSent);
    }
}
