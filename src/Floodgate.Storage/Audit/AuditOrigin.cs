namespace Floodgate.Storage.Audit;

/// <summary>
/// Where the change being made comes from ("203.0.113.7" for a web request, "cli" for the command line),
/// written into every audit row's <see cref="AuditEntry.Origin"/>. An ambient value on purpose: every
/// store method already takes the actor, and threading one more parameter through each of them would
/// only repeat what the web request's middleware knows once.
/// </summary>
public static class AuditOrigin
{
    private static readonly AsyncLocal<string?> CurrentOrigin = new();

    public static string? Current => CurrentOrigin.Value;

    /// <summary>Sets the origin for the rest of this async flow; dispose to restore the previous one.</summary>
    public static IDisposable Use(string? origin)
    {
        var previous = CurrentOrigin.Value;
        CurrentOrigin.Value = origin;
        return new Restore(previous);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => CurrentOrigin.Value = previous;
    }
}
