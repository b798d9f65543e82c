using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

public sealed record DamagesLineItem(DateTimeOffset At, string MessageId, int Recipients, bool Relayed, string Outcome, long Pieces, decimal Amount);

/// <summary>The damages statement of an incident: each recipient of a relayed message is one piece.</summary>
public sealed record DamagesView(
    long IncidentId,
    string ClientName,
    decimal AmountPerPiece,
    string Currency,
    long Pieces,
    long NotRelayedAttempts,
    decimal Total,
    IReadOnlyList<DamagesLineItem> Lines);

/// <summary>
/// The damages statement as JSON, CSV (a file) and a printable page. Scoped: a client administrator
/// gets its own client's statements only; another client's answer 404 in every form.
/// </summary>
public static class DamagesApi
{
    public static RouteGroupBuilder MapDamagesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/incidents/{id:long}").WithTags("Damages");
        group.MapGet("/damages", GetJsonAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("The damages statement of an incident");
        group.MapGet("/damages.csv", GetCsvAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("The damages statement as a CSV file, one line per message and a total line");
        group.MapGet("/damages.html", GetHtmlAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("The damages statement as a printable page");
        return api;
    }

    private static async Task<Results<Ok<DamagesView>, ProblemHttpResult>> GetJsonAsync(long id, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, caller, store, cancellationToken).ConfigureAwait(false) is not { } statement)
            return ApiGroup.NotFound($"incident {id}");
        return TypedResults.Ok(new DamagesView(
            statement.IncidentId, statement.ClientName, statement.AmountPerPiece, statement.Currency, statement.Pieces, statement.NotRelayedAttempts, statement.Total,
            statement.Lines.Select(l =>
            {
                var pieces = l.Relayed ? l.Recipients : 0;
                return new DamagesLineItem(l.At, l.MessageId, l.Recipients, l.Relayed, l.Outcome, pieces, pieces * statement.AmountPerPiece);
            }).ToList()));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetCsvAsync(long id, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, caller, store, cancellationToken).ConfigureAwait(false) is not { } statement)
            return ApiGroup.NotFound($"incident {id}");

        // DamagesStatement.ToCsv quotes fields and defuses leading formula characters (CSV injection).
        return TypedResults.File(Encoding.UTF8.GetBytes(statement.ToCsv()), "text/csv; charset=utf-8",
            $"damages-incident-{statement.IncidentId.ToString(CultureInfo.InvariantCulture)}.csv");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetHtmlAsync(long id, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, caller, store, cancellationToken).ConfigureAwait(false) is not { } statement)
            return ApiGroup.NotFound($"incident {id}");
        var detail = await store.GetIncidentAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Content(Html(statement, detail), "text/html; charset=utf-8");
    }

    private static async Task<DamagesStatement?> LoadAsync(long id, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (await store.GetIncidentClientIdAsync(id, cancellationToken).ConfigureAwait(false) is not { } clientId || !caller.CanSee(clientId))
            return null;
        return await store.GetDamagesAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A page to print or save as PDF: the statement with what it is for (the mailbox, the reason, the
    /// client's report). Every value goes through the HTML encoder: a client's name, a report or a
    /// Message-ID is text, never markup.
    /// </summary>
    internal static string Html(DamagesStatement s, IncidentDetail detail)
    {
        var e = HtmlEncoder.Default;
        string Money(decimal amount) => e.Encode(amount.ToString("0.00", CultureInfo.InvariantCulture) + " " + s.Currency);
        string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
        var incident = Number(s.IncidentId);

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<title>Damages statement, incident ").Append(incident).Append("</title>\n")
            .Append("<style>body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;width:100%}")
            .Append("th,td{border:1px solid #999;padding:.3em .6em;text-align:left}td.n{text-align:right}tfoot td{font-weight:bold}")
            .Append("@media print{body{margin:0}}</style>\n</head>\n<body>\n")
            .Append("<h1>Damages statement</h1>\n")
            .Append("<p>Incident ").Append(incident).Append(", client <strong>").Append(e.Encode(s.ClientName)).Append("</strong></p>\n")
            .Append("<p>Mailbox ").Append(e.Encode(detail.Offense.MailboxAddress)).Append(": ").Append(e.Encode(Ladder.Describe(detail.Incident.Step)))
            .Append(". Reason: ").Append(e.Encode(detail.Offense.Reason)).Append("</p>\n")
            .Append("<p>Liquidated damages of ").Append(Money(s.AmountPerPiece))
            .Append(" per piece of spam: each recipient of a relayed message is one piece. Messages held or refused are listed and not charged.</p>\n")
            .Append("<table>\n<thead><tr><th>Time (UTC)</th><th>Message-ID</th><th>Recipients</th><th>Outcome</th><th>Pieces</th><th>Amount</th></tr></thead>\n<tbody>\n");
        foreach (var l in s.Lines)
        {
            var pieces = l.Relayed ? l.Recipients : 0;
            html.Append("<tr><td>").Append(e.Encode(l.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)))
                .Append("</td><td>").Append(e.Encode(l.MessageId))
                .Append("</td><td class=\"n\">").Append(Number(l.Recipients))
                .Append("</td><td>").Append(e.Encode(l.Outcome))
                .Append("</td><td class=\"n\">").Append(Number(pieces))
                .Append("</td><td class=\"n\">").Append(Money(pieces * s.AmountPerPiece))
                .Append("</td></tr>\n");
        }

        html.Append("</tbody>\n<tfoot><tr><td colspan=\"4\">Total</td><td class=\"n\">").Append(Number(s.Pieces))
            .Append("</td><td class=\"n\">").Append(Money(s.Total)).Append("</td></tr></tfoot>\n</table>\n")
            .Append("<p>Attempts held or refused (not charged): ").Append(Number(s.NotRelayedAttempts)).Append(" recipients.</p>\n");
        if (detail.Incident.Report is { } report)
        {
            html.Append("<h2>The client's report</h2>\n<dl>\n")
                .Append("<dt>Mechanism</dt><dd>").Append(e.Encode(report.Mechanism)).Append("</dd>\n")
                .Append("<dt>Steps taken</dt><dd>").Append(e.Encode(report.StepsTaken)).Append("</dd>\n")
                .Append("<dt>The client's mass-mailing policy</dt><dd>").Append(e.Encode(report.ClientPolicy)).Append("</dd>\n</dl>\n");
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }
}
