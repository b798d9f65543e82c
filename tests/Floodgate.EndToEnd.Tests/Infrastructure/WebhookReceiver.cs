using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>One webhook request as it arrived: its headers and raw body.</summary>
public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, byte[] Body, int Answered);

/// <summary>
/// A ticketing system's webhook endpoint on loopback (HttpListener, a real HTTP server): answers 503
/// to the first <see cref="FailFirst"/> deliveries of each event (by its Floodgate-Event-Id), 200
/// after, and keeps every request.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public WebhookReceiver(int failFirst)
    {
        FailFirst = failFirst;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/hooks/floodgate";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int FailFirst { get; }

    public string Url { get; }

    public ConcurrentQueue<ReceivedWebhook> Requests { get; } = new();

    public async Task<ReceivedWebhook> WaitForAsync(Func<ReceivedWebhook, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Requests.FirstOrDefault(r => r.Answered == 200 && match(r)) is { } found)
                return found;
            await Task.Delay(100);
        }

        throw new TimeoutException($"no matching webhook within {timeout}; {Requests.Count} requests seen");
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var attempt = _attempts.AddOrUpdate(headers.GetValueOrDefault("Floodgate-Event-Id") ?? "", 1, (_, n) => n + 1);
            var status = attempt <= FailFirst ? 503 : 200;
            Requests.Enqueue(new ReceivedWebhook(headers, body.ToArray(), status));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
    }
}
