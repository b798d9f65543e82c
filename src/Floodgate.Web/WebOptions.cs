namespace Floodgate.Web;

/// <summary>The web side: console, portal, API. Bound from the "Web" section.</summary>
public sealed class WebOptions
{
    public string Url { get; set; } = "http://127.0.0.1:8025";

    /// <summary>The address people reach the console and portal at, for links in notifications; null: <see cref="Url"/>.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>A session ends this long after its last request.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Allow the console on plain HTTP at a non-loopback address. Off: passwords and session cookies
    /// would cross the network in clear, so `serve` refuses to start; put TLS in front instead.
    /// </summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>Largest request body the API reads (bytes); beyond it the answer is 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Failed console and portal logins allowed per login and address in <see cref="LoginWindow"/>.</summary>
    public int MaxLoginFailures { get; set; } = 5;

    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(15);

    public string PublicBase => (PublicUrl ?? Url).TrimEnd('/');

    public List<string> Validate()
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var web) || web.Scheme is not ("http" or "https"))
        {
            errors.Add($"Web:Url: '{Url}' must look like http://127.0.0.1:8025");
        }
        else if (web.Scheme == "http" && !AllowPlainHttp && !IsLoopback(web.Host))
        {
            errors.Add($"Web:Url: '{Url}' is plain HTTP on a non-loopback address: sign-ins would cross the network in clear. Use https://, a loopback address behind a TLS proxy, or set Web:AllowPlainHttp=true");
        }

        if (PublicUrl is not null && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var pub) || pub.Scheme is not ("http" or "https")))
        {
            errors.Add($"Web:PublicUrl: '{PublicUrl}' must be an absolute http(s) URL");
        }

        if (SessionIdleTimeout < TimeSpan.FromMinutes(1) || SessionIdleTimeout > TimeSpan.FromDays(30))
        {
            errors.Add("Web:SessionIdleTimeout: must be between 1 minute and 30 days");
        }

        if (MaxRequestBodyBytes is < 1024 or > 100 * 1024 * 1024)
        {
            errors.Add("Web:MaxRequestBodyBytes: must be between 1 KiB and 100 MiB");
        }

        if (MaxLoginFailures < 1)
        {
            errors.Add("Web:MaxLoginFailures: must be at least 1");
        }

        return errors;
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var a) && System.Net.IPAddress.IsLoopback(a));
}
