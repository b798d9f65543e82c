namespace Floodgate.Storage.Accounts;

/// <summary>
/// The single row whose counter goes up with every account change, in the change's own transaction,
/// so a running server can poll one integer instead of reloading the directory.
/// </summary>
public sealed class StateVersion
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public long Version { get; set; }
}
