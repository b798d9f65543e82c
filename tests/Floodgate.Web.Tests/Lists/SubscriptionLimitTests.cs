using System.Net;
using Floodgate.Storage.Lists;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The public form is rate limited: an open form would let anyone mail any address from the provider's IPs.</summary>
public sealed class SubscriptionLimitTests
{
    [Fact]
    public async Task TheFormAnswers429PastTheClientAddressBudgetAndSendsNothingMore()
    {
        await using var serve = await TestServe.StartAsync(new Dictionary<string, string?> { ["Lists:SubscriptionsPerClientAddressPerHour"] = "3" });
        var (clientId, _, _) = await serve.SeedClientAsync("Acme", "acme.example", "alice");
        var list = await serve.Get<ListStore>().CreateListAsync(clientId, new NewList("news@acme.example", "Acme News", null, []), "test");
        using var http = new HttpClient { BaseAddress = serve.Web };

        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var response = await http.PostAsync($"/l/{list.Id}/subscribe", new FormUrlEncodedContent([new("address", $"victim{i}@example.org")]));
            codes.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
        var pending = await serve.Get<ListStore>().PageMembersAsync(list.Id, MemberStatus.Pending, null, null, 50);
        Assert.Equal(3, pending.Items.Count);

        // The confirmation links and the rest of the site are not counted.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/l/{list.Id}/subscribe")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }
}
