using Floodgate.Storage;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Floodgate.Web.Api;

/// <summary>
/// The problems of one request's query string, collected so the answer names every bad parameter at
/// once. Enumerations are taken as text and parsed here: the framework's own binding answers a bare
/// 400 that does not say which values are allowed.
/// </summary>
internal sealed class QueryProblems
{
    private readonly Dictionary<string, string[]> _problems = new(StringComparer.Ordinal);

    public bool Any => _problems.Count > 0;

    public void Add(string field, string message) => _problems[field] = [message];

    public ValidationProblem Problem() => TypedResults.ValidationProblem(_problems, title: "The request is not valid");

    /// <summary>The page size: <see cref="Paging.DefaultLimit"/> when not given, refused outside 1 .. <see cref="Paging.MaxLimit"/>.</summary>
    public int Limit(int? limit)
    {
        if (limit is null)
            return Paging.DefaultLimit;
        if (limit is < 1 or > Paging.MaxLimit)
            Add("limit", $"limit must be between 1 and {Paging.MaxLimit}.");
        return limit.Value;
    }

    public TEnum? Enum<TEnum>(string? text, string field) where TEnum : struct, System.Enum
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;

        // Names only: Enum.TryParse also takes "7", which names no value.
        if (System.Enum.TryParse<TEnum>(text.Trim(), ignoreCase: true, out var value) && !char.IsAsciiDigit(text.Trim()[0]) && System.Enum.IsDefined(value))
            return value;
        Add(field, $"{field} must be one of {string.Join(", ", System.Enum.GetNames<TEnum>())}; \"{text}\" is none of them.");
        return null;
    }

    public void Range(DateTimeOffset? since, DateTimeOffset? until)
    {
        if (since is { } s && until is { } u && u <= s)
            Add("until", "until must be later than since.");
    }
}

/// <summary>A client administrator's confinement to its client, applied to a list's client filter.</summary>
internal static class ClientScope
{
    /// <summary>
    /// The client filter to apply: the caller's own client for a client administrator (whatever it asked
    /// for), the requested one for an operator. False when a client administrator asked for another
    /// client's: the answer is 404, as for that client's ids.
    /// </summary>
    public static bool TryApply(Caller caller, int? requested, out int? clientId)
    {
        if (caller.ClientScope is { } own)
        {
            clientId = own;
            return requested is null || requested == own;
        }

        clientId = requested;
        return true;
    }
}
