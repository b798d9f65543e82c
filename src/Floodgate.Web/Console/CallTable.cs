using Floodgate.Storage.Enforcement;

namespace Floodgate.Web.Console;

/// <summary>The call queue's table, on the call queue, its refreshing fragment and the dashboard.</summary>
public sealed record CallTable(IReadOnlyList<CallView> Calls, DateTimeOffset Now, bool Compact = false, bool CanRecord = false)
{
    /// <summary>A tel: URI (RFC 3966) of the digits and the leading plus of a phone number as people write it.</summary>
    public static string Tel(string phone) =>
        "tel:" + new string(phone.Where((ch, i) => char.IsAsciiDigit(ch) || (ch == '+' && i == 0)).ToArray());
}
