namespace Floodgate.Core.Transactions;

/// <summary>The front door a transaction came through. Its name is what the transaction log and the metrics show.</summary>
public enum Door : byte
{
    /// <summary>Floodgate's own SMTP submission gateway.</summary>
    Gateway,

    /// <summary>Postfix policy delegation (check_policy_service).</summary>
    Policy,

    /// <summary>The milter (Postfix smtpd_milters, Sendmail).</summary>
    Milter,

    /// <summary>A copy of a hosted list's post to one member, counted in the poster's windows.</summary>
    List,
}

public static class DoorNames
{
    public static string Name(Door door) => door switch
    {
        Door.Gateway => "gateway",
        Door.Policy => "policy",
        Door.List => "list",
        _ => "milter",
    };
}
