using System.Net;
using System.Security.Cryptography;
using System.Text;
using Floodgate.Core.Enforcement;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>Reloads the account directory from the database at once (the CLI asks after a change).</summary>
public interface IDirectoryRefresher
{
    Task<long> RefreshAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The token the CLI on the same machine proves itself with (written to data/serve.json, mode 0600):
/// the internal endpoints answer only loopback callers that send it.
/// </summary>
public sealed class ControlToken
{
    private readonly byte[] _token;

    public ControlToken(string token)
    {
        Value = token;
        _token = Encoding.ASCII.GetBytes(token);
    }

    public string Value { get; }

    public bool Allows(HttpContext http)
    {
        var remote = http.Connection.RemoteIpAddress;
        return remote is not null && IPAddress.IsLoopback(remote)
            && http.Request.Headers.TryGetValue("X-Floodgate-Token", out var given)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given.ToString()), _token);
    }
}

public sealed record RefreshResult(long Version);

/// <summary>The CLI's way into a running server: refresh the directory, explain a mailbox.</summary>
public static class InternalApi
{
    public static IEndpointRouteBuilder MapInternalApi(this IEndpointRouteBuilder app)
    {
        // The control token is the credential here (ControlToken.Allows), not a session.
        var group = app.MapGroup("/internal").AllowAnonymous().ExcludeFromDescription();
        group.MapPost("/refresh", RefreshAsync);
        group.MapGet("/explain/{mailbox}", Explain);
        return app;
    }

    private static async Task<Results<Ok<RefreshResult>, StatusCodeHttpResult>> RefreshAsync(HttpContext http, ControlToken token, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (!token.Allows(http))
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        return TypedResults.Ok(new RefreshResult(await refresher.RefreshAsync(cancellationToken).ConfigureAwait(false)));
    }

    private static Results<Ok<ExplainReport>, NotFound, StatusCodeHttpResult> Explain(HttpContext http, string mailbox, ControlToken token, Explainer explainer)
    {
        if (!token.Allows(http))
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        return explainer.Explain(mailbox) is { } report ? TypedResults.Ok(report) : TypedResults.NotFound();
    }
}
