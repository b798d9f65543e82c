using System.Globalization;
using Floodgate.Core.Policy;
using Microsoft.AspNetCore.Html;

namespace Floodgate.Web.Shared;

/// <summary>
/// Small pieces of markup the pages share: times, countdowns, numbers, outcome colours. Values are
/// appended with <see cref="HtmlContentBuilder.Append"/>, which encodes; only fixed markup is appended raw.
/// </summary>
public static class Show
{
    public const string AcceptedColor = "#1f8a4c";
    public const string DeferredColor = "#b7791f";
    public const string RejectedColor = "#c53030";
    public const string HeldColor = "#8a5cc7";

    public static string Color(Outcome outcome) => outcome switch
    {
        Outcome.Accepted => AcceptedColor,
        Outcome.Deferred => DeferredColor,
        Outcome.Rejected => RejectedColor,
        _ => HeldColor,
    };

    /// <summary>The outcome's word, as the transaction log and the charts' legends say it.</summary>
    public static string Word(Outcome outcome) => outcome.ToString().ToLowerInvariant();

    /// <summary>A UTC time the page's script shows in the reader's zone (the ISO text stays as the tooltip).</summary>
    public static IHtmlContent Time(DateTimeOffset? at)
    {
        if (at is not { } t)
            return new HtmlString("<span class=\"muted\">—</span>");
        var utc = t.ToUniversalTime();
        return new HtmlContentBuilder()
            .AppendHtml("<time datetime=\"")
            .Append(utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .AppendHtml("\">")
            .Append(utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))
            .AppendHtml("</time>");
    }

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => fraction.ToString("0%", CultureInfo.InvariantCulture);

    /// <summary>"12 min left", "overdue by 1 h 5 min".</summary>
    public static string Countdown(DateTimeOffset due, DateTimeOffset now)
    {
        var left = due - now;
        return left >= TimeSpan.Zero ? $"{Span(left)} left" : $"overdue by {Span(-left)}";
    }

    /// <summary>"3 min", "2 h 5 min", "4 d 3 h"; under a minute, seconds.</summary>
    public static string Span(TimeSpan span)
    {
        if (span < TimeSpan.FromMinutes(1))
            return $"{Math.Max(0, (int)span.TotalSeconds)} s";
        if (span < TimeSpan.FromHours(1))
            return $"{(int)span.TotalMinutes} min";
        if (span < TimeSpan.FromDays(1))
            return span.Minutes == 0 ? $"{(int)span.TotalHours} h" : $"{(int)span.TotalHours} h {span.Minutes} min";
        return span.Hours == 0 ? $"{(int)span.TotalDays} d" : $"{(int)span.TotalDays} d {span.Hours} h";
    }

    /// <summary>"ok", "warn" or "bad" for a meter at <paramref name="used"/> of <paramref name="limit"/>.</summary>
    public static string Level(long used, long limit) =>
        limit <= 0 ? (used > 0 ? "bad" : "ok") : used >= limit ? "bad" : used * 10 >= limit * 8 ? "warn" : "ok";

    /// <summary>The width in percent of a meter's bar (0 to 100).</summary>
    public static string Width(long used, long limit) =>
        (limit <= 0 ? (used > 0 ? 100 : 0) : Math.Clamp(used * 100.0 / limit, 0, 100)).ToString("0.#", CultureInfo.InvariantCulture);
}
