using System.Text.Json;

namespace Floodgate.Commands;

/// <summary>
/// Tells a running server that the CLI changed something, so it reloads now rather than at its next
/// StateVersion poll (every second). The server writes <c>&lt;data&gt;/serve.json</c> at start:
/// <c>{ "webUrl": "http://127.0.0.1:8025", "token": "..." }</c>. Best effort: any failure is ignored.
/// </summary>
internal static class ServerNotifier
{
    public const string FileName = "serve.json";
    public const string TokenHeader = "X-Floodgate-Token";
    public const string RefreshPath = "internal/refresh";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True when a server answered 2xx; false when there is none, or it failed or timed out.</summary>
    public static async Task<bool> NotifyAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
            return false;
        try
        {
            var info = JsonSerializer.Deserialize<ServeInfo>(await File.ReadAllTextAsync(path, cancellationToken), Json);
            if (info?.WebUrl is not { Length: > 0 } webUrl || !Uri.TryCreate(webUrl.TrimEnd('/') + "/" + RefreshPath, UriKind.Absolute, out var uri))
                return false;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            using var http = new HttpClient { Timeout = Timeout };
            using var request = new HttpRequestMessage(HttpMethod.Post, uri);
            request.Headers.TryAddWithoutValidation(TokenHeader, info.Token ?? "");
            using var response = await http.SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or JsonException or UnauthorizedAccessException)
        {
            // The server polls StateVersion anyway; a stale serve.json (server gone) must not fail the command.
            return false;
        }
    }

    /// <summary>GETs a path of the running server's internal API; null when no server answers.</summary>
    public static async Task<(int Status, string Body)?> GetAsync(string dataDirectory, string path, CancellationToken cancellationToken = default)
    {
        var file = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(file))
            return null;
        try
        {
            var info = JsonSerializer.Deserialize<ServeInfo>(await File.ReadAllTextAsync(file, cancellationToken), Json);
            if (info?.WebUrl is not { Length: > 0 } webUrl || !Uri.TryCreate(webUrl.TrimEnd('/') + "/" + path, UriKind.Absolute, out var uri))
                return null;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation(TokenHeader, info.Token ?? "");
            using var response = await http.SendAsync(request, cancellationToken);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record ServeInfo(string? WebUrl, string? Token);
}
