using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;

namespace Floodgate.Web.Console;

/// <summary>One window against its limit, and when it next frees capacity.</summary>
public sealed record CounterMeter(string Window, int Used, int Reserved, int Limit, DateTimeOffset? FreesAt);

/// <summary>The live windows of one mailbox, domain or client.</summary>
public sealed record CounterPanel(AccountScope Scope, int Id, string Name, IReadOnlyList<CounterMeter> Meters, DateTimeOffset At);

/// <summary>
/// The live counters as meters: the counter store's windows against the plan's limits (both from
/// memory: the account directory and <see cref="ICounterStore"/>), for the account pages and their
/// refreshing fragment.
/// </summary>
public sealed class CounterMeters(AccountDirectory directory, ICounterStore counters, TimeProvider time)
{
    public CounterPanel? For(AccountScope scope, int id)
    {
        PlanLimits limits;
        string name;
        switch (scope)
        {
            case AccountScope.Mailbox when directory.TryGetMailbox(id, out var m):
                (limits, name) = (m.Client.Limits, m.Address);
                break;
            case AccountScope.Domain when directory.TryGetDomain(id, out var d):
                (limits, name) = (d.Client.Limits, d.Name);
                break;
            case AccountScope.Client when directory.TryGetClient(id, out var c):
                (limits, name) = (c.Limits, c.Name);
                break;
            default:
                return null;
        }

        var scopeLimits = scope switch
        {
            AccountScope.Mailbox => limits.Mailbox,
            AccountScope.Domain => limits.Domain,
            _ => limits.Client,
        };
        var key = new CounterKey(scope switch
        {
            AccountScope.Mailbox => CounterScope.Mailbox,
            AccountScope.Domain => CounterScope.Domain,
            _ => CounterScope.Client,
        }, id);
        var now = time.GetUtcNow();
        var t = counters.Read(key, now);

        // A window with nothing in it frees nothing: no time to show.
        DateTimeOffset? hour = t.MessagesLastHour + t.ExternalLastHour + t.InternalLastHour > 0 ? counters.NextHourRelease(key, now) : null;
        DateTimeOffset? day = t.ExternalLastDay + t.InternalLastDay > 0 ? counters.NextDayRelease(key, now) : null;
        return new CounterPanel(scope, id, name,
        [
            new("messages in the last hour", t.MessagesLastHour, t.ReservedMessages, scopeLimits.MessagesPerHour, t.MessagesLastHour > 0 ? hour : null),
            new("external recipients in the last hour", t.ExternalLastHour, t.ReservedExternal, scopeLimits.ExternalRecipientsPerHour, t.ExternalLastHour > 0 ? hour : null),
            new("external recipients in the last 24 h", t.ExternalLastDay, t.ReservedExternal, scopeLimits.ExternalRecipientsPerDay, t.ExternalLastDay > 0 ? day : null),
            new("internal recipients in the last hour", t.InternalLastHour, t.ReservedInternal, scopeLimits.InternalRecipientsPerHour, t.InternalLastHour > 0 ? hour : null),
            new("internal recipients in the last 24 h", t.InternalLastDay, t.ReservedInternal, scopeLimits.InternalRecipientsPerDay, t.InternalLastDay > 0 ? day : null),
        ], now);
    }
}
