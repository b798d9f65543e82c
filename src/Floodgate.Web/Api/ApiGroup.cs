using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>
/// The REST API's common ground, <c>/api/v1</c>: CSRF for cookie callers, refusals of the stores as
/// RFC 9457 problem details (invalid 400 with each problem, not found 404, conflict 409).
/// </summary>
public static class ApiGroup
{
    public const string Prefix = "/api/v1";

    public static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix);
        group.AddEndpointFilter(async (context, next) =>
        {
            if (!await WebSecurity.IsCsrfSafeAsync(context.HttpContext).ConfigureAwait(false))
            {
                return TypedResults.Problem(
                    title: "CSRF token missing or invalid",
                    detail: $"A change made with a session cookie must send the {WebSecurity.CsrfHeader} header from the console page; API clients use an API key.",
                    statusCode: StatusCodes.Status400BadRequest);
            }

            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (AccountException ex)
            {
                return Refusal((int)ex.Error, ex.Message, ex.Details);
            }
            catch (EnforcementException ex)
            {
                return Refusal((int)ex.Error, ex.Message, ex.Details);
            }
        });
        return group;
    }

    /// <summary>A refusal of a store as a problem: 0 invalid, 1 not found, 2 conflict (both stores' error enums).</summary>
    public static IResult Refusal(int error, string message, IReadOnlyList<string> details) => error switch
    {
        1 => TypedResults.Problem(title: "Not found", detail: message, statusCode: StatusCodes.Status404NotFound),
        2 => TypedResults.Problem(title: "Conflict", detail: message, statusCode: StatusCodes.Status409Conflict),
        _ => TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { ["request"] = details.Count > 0 ? [.. details] : [message] },
            detail: message,
            title: "The request is not valid"),
    };

    /// <summary>The problem for an id the caller may not see or that does not exist: the same answer for both, so ids of other clients are not confirmed.</summary>
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(title: "Not found", detail: $"There is no {what}.", statusCode: StatusCodes.Status404NotFound);

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid");
}
