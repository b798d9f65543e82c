using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>One request as the receiver saw it, and what it answered.</summary>
public sealed record ReceivedWebhook(DateTimeOffset At, string? EventId, string? Type, string? Timestamp, string? Signature, byte[] Body, int Answer);

/// <summary>
/// A real HTTP receiver (Kestrel on 127.0.0.1) for the provider's side of a webhook: records every
/// request and answers what <see cref="Answer"/> says for the n-th request (1-based). It can be
/// stopped (nothing listens: connections are refused) and started again on the same port.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private WebApplication? _app;
    private int _count;

    private WebhookReceiver()
    {
    }

    public Func<int, int> Answer { get; set; } = _ => 200;

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}/hooks";

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    public static async Task<WebhookReceiver> StartAsync(Func<int, int>? answer = null)
    {
        var receiver = new WebhookReceiver { Answer = answer ?? (_ => 200) };
        await receiver.ListenAsync(0);
        return receiver;
    }

    /// <summary>Starts again on the port it had.</summary>
    public Task RestartAsync() => ListenAsync(Port);

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null, Func<ReceivedWebhook, bool>? where = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var matching = Received.Where(where ?? (_ => true)).ToList();
            if (matching.Count >= count)
                return matching;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Expected {count} webhook requests, got {matching.Count}: {string.Join(", ", Received.Select(r => $"{r.Type} {r.Answer}"))}");
            await Task.Delay(25);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapPost("/hooks", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var answer = Answer(Interlocked.Increment(ref _count));
            var headers = http.Request.Headers;
            _received.Enqueue(new ReceivedWebhook(DateTimeOffset.UtcNow, headers["Floodgate-Event-Id"], headers["Floodgate-Event-Type"],
                headers["Floodgate-Timestamp"], headers["Floodgate-Signature"], body.ToArray(), answer));
            return answer == 204 ? Results.NoContent() : Results.Text($"answer {answer}", statusCode: answer);
        });
        await app.StartAsync();
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
    }
}
