using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Storage.Audit;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>
/// One rate window against its limit. <see cref="Used"/> is what the engine compares with the limit: the
/// counted messages or recipients and those reserved by transactions in flight (<see cref="Reserved"/>).
/// <see cref="NextReleaseAt"/> is when the oldest counted unit leaves the window; null when nothing is counted.
/// </summary>
public sealed record WindowView(string Window, WindowMeasure Measure, WindowSpan Span, int Used, int Reserved, int Limit, int Remaining, DateTimeOffset? NextReleaseAt);

/// <summary>The live windows of a mailbox, domain or client, as the running engine sees them at <see cref="At"/>.</summary>
public sealed record CountersView(CounterScope Scope, int Id, string Name, DateTimeOffset At, IReadOnlyList<WindowView> Windows);

/// <summary>Why the windows are reset: kept in the audit log with what they held.</summary>
public sealed record CounterReset(string? Reason);

/// <summary>
/// Live counters: each window of a mailbox, domain or client (messages per hour, external and internal
/// recipients per hour and per day) against its plan's limit, read from the engine's own counter store
/// and directory; and a reset with a reason, audited with the totals before, for the sender that was
/// held back by traffic the provider has since accepted (a newsletter sent on purpose, a false alarm).
/// </summary>
public static class CountersApi
{
    private const int MaxReason = 1000;

    public static RouteGroupBuilder MapCountersApi(this RouteGroupBuilder api)
    {
        foreach (var (path, scope) in new[] { ("/mailboxes", CounterScope.Mailbox), ("/domains", CounterScope.Domain), ("/clients", CounterScope.Client) })
        {
            var name = scope.ToString().ToLowerInvariant();
            api.MapGet(path + "/{id:int}/counters", (int id, Caller caller, AccountDirectory directory, ICounterStore counters, TimeProvider time) => Read(scope, id, caller, directory, counters, time))
                .RequireAuthorization(AccessPolicies.ReadScoped).WithTags("Counters").WithName($"Get{scope}Counters")
                .WithSummary($"A {name}'s live rate windows against its limits");
            api.MapPost(path + "/{id:int}/counters/reset", (int id, CounterReset body, Caller caller, AccountDirectory directory, ICounterStore counters, AuditLog audit, TimeProvider time, CancellationToken cancellationToken) =>
                    ResetAsync(scope, id, body, caller, directory, counters, audit, time, cancellationToken))
                .RequireAuthorization(AccessPolicies.Enforce).WithTags("Counters").WithName($"Reset{scope}Counters")
                .WithSummary($"Reset a {name}'s windows, with a reason (audited)");
        }

        return api;
    }

    private static Results<Ok<CountersView>, ProblemHttpResult> Read(CounterScope scope, int id, Caller caller, AccountDirectory directory, ICounterStore counters, TimeProvider time) =>
        Find(directory, caller, scope, id) is { } target
            ? TypedResults.Ok(View(target, counters, time.GetUtcNow()))
            : ApiGroup.NotFound($"{scope.ToString().ToLowerInvariant()} {id}");

    private static async Task<Results<Ok<CountersView>, ValidationProblem, ProblemHttpResult>> ResetAsync(
        CounterScope scope, int id, CounterReset body, Caller caller, AccountDirectory directory, ICounterStore counters, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Find(directory, caller, scope, id) is not { } target)
            return ApiGroup.NotFound($"{scope.ToString().ToLowerInvariant()} {id}");
        var reason = body.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReason)
            return ApiGroup.Invalid("reason", $"reason is required (1 to {MaxReason} characters): why the windows are reset, kept in the audit log.");

        // The audit entry first: a reset that could not be recorded is not made.
        var key = new CounterKey(scope, id);
        var before = counters.Read(key, time.GetUtcNow());
        await audit.RecordAsync(caller.Actor, "counters.reset", scope.ToString().ToLowerInvariant(), id, new
        {
            name = target.Name,
            reason,
            before = new
            {
                messagesLastHour = before.MessagesLastHour - before.ReservedMessages,
                externalLastHour = before.ExternalLastHour - before.ReservedExternal,
                externalLastDay = before.ExternalLastDay - before.ReservedExternal,
                internalLastHour = before.InternalLastHour - before.ReservedInternal,
                internalLastDay = before.InternalLastDay - before.ReservedInternal,
                reservedMessages = before.ReservedMessages,
                reservedExternal = before.ReservedExternal,
                reservedInternal = before.ReservedInternal,
            },
        }, cancellationToken);
        counters.Reset(key, time.GetUtcNow());
        return TypedResults.Ok(View(target, counters, time.GetUtcNow()));
    }

    private static CountersView View(Target target, ICounterStore counters, DateTimeOffset now)
    {
        var key = new CounterKey(target.Scope, target.Id);
        var t = counters.Read(key, now);
        var l = target.Limits;
        DateTimeOffset? hour = null, day = null;
        if (t.MessagesLastHour + t.ExternalLastHour + t.InternalLastHour > t.ReservedMessages + t.ReservedExternal + t.ReservedInternal)
            hour = counters.NextHourRelease(key, now);
        if (t.ExternalLastDay + t.InternalLastDay > t.ReservedExternal + t.ReservedInternal)
            day = counters.NextDayRelease(key, now);

        WindowView Window(string name, WindowMeasure measure, WindowSpan span, int used, int reserved, int limit, DateTimeOffset? release) =>
            new(name, measure, span, used, reserved, limit, Math.Max(0, limit - used), used > reserved ? release : null);

        return new CountersView(target.Scope, target.Id, target.Name, now,
        [
            Window("messagesPerHour", WindowMeasure.Messages, WindowSpan.Hour, t.MessagesLastHour, t.ReservedMessages, l.MessagesPerHour, hour),
            Window("externalRecipientsPerHour", WindowMeasure.ExternalRecipients, WindowSpan.Hour, t.ExternalLastHour, t.ReservedExternal, l.ExternalRecipientsPerHour, hour),
            Window("externalRecipientsPerDay", WindowMeasure.ExternalRecipients, WindowSpan.Day, t.ExternalLastDay, t.ReservedExternal, l.ExternalRecipientsPerDay, day),
            Window("internalRecipientsPerHour", WindowMeasure.InternalRecipients, WindowSpan.Hour, t.InternalLastHour, t.ReservedInternal, l.InternalRecipientsPerHour, hour),
            Window("internalRecipientsPerDay", WindowMeasure.InternalRecipients, WindowSpan.Day, t.InternalLastDay, t.ReservedInternal, l.InternalRecipientsPerDay, day),
        ]);
    }

    /// <summary>
    /// The scope as the running engine sees it, with the limits it enforces there; null when it does not
    /// exist or the caller may not see its client (both answer 404).
    /// </summary>
    private static Target? Find(AccountDirectory directory, Caller caller, CounterScope scope, int id)
    {
        Target? target = scope switch
        {
            CounterScope.Mailbox => directory.TryGetMailbox(id, out var m) ? new Target(scope, id, m.Address, m.Client.Id, m.Client.Limits.Mailbox) : null,
            CounterScope.Domain => directory.TryGetDomain(id, out var d) ? new Target(scope, id, d.Name, d.Client.Id, d.Client.Limits.Domain) : null,
            _ => directory.TryGetClient(id, out var c) ? new Target(scope, id, c.Name, c.Id, c.Limits.Client) : null,
        };
        return target is not null && caller.CanSee(target.ClientId) ? target : null;
    }

    private sealed record Target(CounterScope Scope, int Id, string Name, int ClientId, ScopeLimits Limits);
}
