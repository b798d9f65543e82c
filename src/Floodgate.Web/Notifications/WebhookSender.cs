using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Floodgate.Storage.Notifications;

namespace Floodgate.Web.Notifications;

/// <summary>
/// POSTs one event, signed (<see cref="WebhookSignature"/>). 2xx is delivered. Worth retrying:
/// 5xx, 408, 429 (after its Retry-After), a timeout, a refused or broken connection. Refused for
/// good: any other 4xx (the receiver will say the same again) and 3xx (redirects are not followed,
/// so a moved endpoint is fixed by changing its URL, not by sending signed events elsewhere).
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    /// <summary>How much of a response body is read for the delivery log; the rest is not read at all.</summary>
    public const int MaxResponseBytes = 1024;

    private readonly HttpClient _http;
    private readonly NotificationOptions _options;
    private readonly TimeProvider _time;

    public WebhookSender(NotificationOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.WebhookTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxResponseHeadersLength = 16,
        })
        {
            // Each request has its own timeout below, on the injected clock.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Floodgate-Webhooks", "1"));
    }

    public static byte[] Body(DeliveryWork work, NotificationData data) =>
        JsonSerializer.SerializeToUtf8Bytes(new WebhookEnvelope(work.EventId, work.Type, work.OccurredAt, data), NotificationData.Json);

    public async Task<SendResult> SendAsync(DeliveryWork work, NotificationData data, CancellationToken cancellationToken)
    {
        var endpoint = work.Endpoint ?? throw new InvalidOperationException("A webhook delivery without an endpoint.");
        var body = Body(work, data);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventIdHeader, work.EventId.ToString());
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventTypeHeader, work.Type);
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Header(endpoint.Secret, endpoint.PreviousSecret, timestamp, body));

        using var timeout = new CancellationTokenSource(_options.WebhookTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var reply = await ReadSomeAsync(response, linked.Token).ConfigureAwait(false);
            if (status is >= 200 and < 300)
                return new SendResult(SendKind.Delivered, status, reply, null);
            if (status is >= 500 or 408 or 429)
                return new SendResult(SendKind.Retry, status, reply, $"the endpoint answered {status} {response.ReasonPhrase}", RetryAfter(response));
            if (status is >= 300 and < 400)
            {
                return new SendResult(SendKind.Permanent, status, reply,
                    $"the endpoint redirects ({status}) to {response.Headers.Location}; redirects are not followed: change the endpoint's URL, then retry");
            }

            return new SendResult(SendKind.Permanent, status, reply, $"the endpoint refused the event with {status} {response.ReasonPhrase}; fix the receiver, then retry by hand");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(SendKind.Retry, null, null, $"no answer within {_options.WebhookTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            var socket = ex.InnerException as SocketException;
            return new SendResult(SendKind.Retry, null, null, socket is null ? ex.Message : $"{ex.Message} ({socket.SocketErrorCode})");
        }
    }

    public void Dispose() => _http.Dispose();

    private static async Task<string?> ReadSomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxResponseBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                break;
            read += n;
        }

        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta;
        if (header?.Date is { } date)
            return date - _time.GetUtcNow();
        return response.StatusCode == HttpStatusCode.TooManyRequests ? _options.RetryInitialDelay : null;
    }
}
