using Floodgate.Storage;
using System.Globalization;
using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;

namespace Floodgate.Hosting;

/// <summary>
/// All settings, with the embedded defaults in code. Bound from appsettings.json, FLOODGATE_*
/// environment variables and command-line flags, and validated before any port opens.
/// </summary>
public sealed class FloodgateOptions
{
    public string DataDirectory { get; set; } = "./data";

    public Doors.Gateway.SmtpOptions Smtp { get; set; } = new();

    public Doors.Relay.UpstreamOptions Upstream { get; set; } = new();

    public Web.WebOptions Web { get; set; } = new();

    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Hot state shared by several nodes; without it, in this process.</summary>
    public Storage.HotState.RedisOptions Redis { get; set; } = new();

    public PolicyOptions Policy { get; set; } = new();

    public LoginThrottleOptions LoginThrottle { get; set; } = new();

    public Storage.Accounts.AccountOptions Accounts { get; set; } = new();

    public Core.Detection.DetectionOptions Detection { get; set; } = new();

    public Core.Enforcement.LadderOptions Ladder { get; set; } = new();

    public Core.Enforcement.ContactTaskOptions ContactTasks { get; set; } = new();

    public Core.Enforcement.DamagesOptions Damages { get; set; } = new();

    public Web.Notifications.NotificationOptions Notifications { get; set; } = new();

    /// <summary>The hosted mailing lists: confirmation, DKIM keys, hygiene.</summary>
    public Web.Lists.ListOptions Lists { get; set; } = new();

    // The Postfix doors (src/Floodgate.Doors): defaults and checks live in Doors.PostfixOptions.
    public Doors.PolicyDelegationOptions PolicyDelegation { get; set; } = new();

    public Doors.MilterOptions Milter { get; set; } = new();

    /// <summary>The LMTP listener for the hosted lists' inbound mail (Postfix transport_maps <c>lmtp:inet:</c>).</summary>
    public LmtpOptions Lmtp { get; set; } = new();

    /// <summary>
    /// The provider's Dovecot auth service checks the gateway's logins when <c>EndPoint</c> is set
    /// (<c>serve --dovecot-auth PATH|HOST:PORT</c>); empty: Floodgate's own store, the default.
    /// </summary>
    public Protocols.DovecotAuth.DovecotAuthOptions DovecotAuth { get; set; } = new();

    /// <summary>Where big messages wait on disk while they are received and relayed; bounded in memory and on disk.</summary>
    public SpoolOptions Spool { get; set; } = new();

    /// <summary>The provider's outbound addresses and domains, checked against DNS blocklists (<c>floodgate blocklist check</c>).</summary>
    public Core.Blocklists.BlocklistOptions Blocklists { get; set; } = new();

    /// <summary>Complaint feedback loops: the signed RFC 9477 trace header, the complaint address, the complaint-rate thresholds.</summary>
    public Core.Complaints.ComplaintOptions Complaints { get; set; } = new();

    /// <summary>
    /// List settings have their defaults filled in after binding: the configuration binder appends
    /// to a list that already holds values, so a default in the initialiser could not be replaced.
    /// </summary>
    public void ApplyDefaults()
    {
        if (Smtp.Listen.Count == 0 && Smtp.ImplicitTlsListen.Count == 0)
        {
            Smtp.Listen.Add("127.0.0.1:2525");
        }

        Doors.PostfixOptions.ApplyDefaults(PolicyDelegation, Milter);
        Lmtp.ApplyDefaults();
        Blocklists.ApplyDefaults();
    }

    /// <summary>Every problem with the settings, each naming the setting; empty when all is well.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("DataDirectory: must name a folder");
        }

        for (var i = 0; i < Smtp.Listen.Count; i++)
        {
            if (!Endpoints.TryParse(Smtp.Listen[i], out _))
            {
                errors.Add($"Smtp:Listen:{i}: '{Smtp.Listen[i]}' is not an address:port (for example 127.0.0.1:2525 or [::1]:587)");
            }
        }

        for (var i = 0; i < Smtp.ImplicitTlsListen.Count; i++)
        {
            if (!Endpoints.TryParse(Smtp.ImplicitTlsListen[i], out _))
            {
                errors.Add($"Smtp:ImplicitTlsListen:{i}: '{Smtp.ImplicitTlsListen[i]}' is not an address:port");
            }
        }

        if (Smtp.Listen.Count + Smtp.ImplicitTlsListen.Count == 0)
        {
            errors.Add("Smtp:Listen: at least one listening address is needed");
        }

        for (var i = 0; i < Smtp.TrustedNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(Smtp.TrustedNetworks[i], out _))
            {
                errors.Add($"Smtp:TrustedNetworks:{i}: '{Smtp.TrustedNetworks[i]}' is not a network in CIDR form (for example 10.0.0.0/8 or 127.0.0.1/32)");
            }
        }

        for (var i = 0; i < Smtp.ProxyFrom.Count; i++)
        {
            if (!IPNetwork.TryParse(Smtp.ProxyFrom[i], out _))
            {
                errors.Add($"Smtp:ProxyFrom:{i}: '{Smtp.ProxyFrom[i]}' is not a network in CIDR form (for example 10.0.0.5/32, the load balancer's address)");
            }
        }

        if (Smtp.MaxConnections < 1)
        {
            errors.Add("Smtp:MaxConnections: must be at least 1");
        }

        if (Smtp.MaxConnectionsPerAddress < 1)
        {
            errors.Add("Smtp:MaxConnectionsPerAddress: must be at least 1");
        }

        if (Smtp.MaxMessageSize < 1024)
        {
            errors.Add("Smtp:MaxMessageSize: must be at least 1024 bytes");
        }

        if (Smtp.MaxJunkCommands < 1)
        {
            errors.Add("Smtp:MaxJunkCommands: must be at least 1");
        }

        if (Smtp.MaxSessionLifetime <= TimeSpan.Zero)
        {
            errors.Add("Smtp:MaxSessionLifetime: must be positive");
        }

        if (Spool.MemoryThreshold < 0 || Spool.MaxMemoryBytes < 0 || Spool.MaxSpoolBytes < 1)
        {
            errors.Add("Spool: MemoryThreshold and MaxMemoryBytes must be zero or more, MaxSpoolBytes positive");
        }

        if (Smtp.CommandTimeout <= TimeSpan.Zero)
        {
            errors.Add("Smtp:CommandTimeout: must be positive");
        }

        if (Smtp.CertificatePath is not null && !File.Exists(Smtp.CertificatePath))
        {
            errors.Add($"Smtp:CertificatePath: file '{Smtp.CertificatePath}' does not exist");
        }

        if (Upstream.Url is not null)
        {
            if (!Uri.TryCreate(Upstream.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("smtp" or "smtps") || uri.Port <= 0 || string.IsNullOrEmpty(uri.Host))
            {
                errors.Add($"Upstream:Url: '{Upstream.Url}' must look like smtp://host:port or smtps://host:port");
            }
        }

        if (Upstream.PoolSize < 1)
        {
            errors.Add("Upstream:PoolSize: must be at least 1");
        }

        if (Upstream.Timeout <= TimeSpan.Zero)
        {
            errors.Add("Upstream:Timeout: must be positive");
        }

        if (!string.IsNullOrWhiteSpace(DovecotAuth.EndPoint))
        {
            try
            {
                DovecotAuth.Validate();
            }
            catch (ArgumentException ex)
            {
                errors.Add(ex.Message.TrimEnd('.'));
            }
        }

        errors.AddRange(Web.Validate());
        errors.AddRange(Notifications.Validate());
        errors.AddRange(Lists.Validate());

        errors.AddRange(Policy.Validate());
        errors.AddRange(Detection.Validate());

        if (Ladder.LookBack <= TimeSpan.Zero)
        {
            errors.Add("Ladder:LookBack: must be positive");
        }

        if (Ladder.RepeatWindow < TimeSpan.Zero || Ladder.RepeatWindow >= Ladder.LookBack)
        {
            errors.Add("Ladder:RepeatWindow: must be zero or more and shorter than Ladder:LookBack");
        }

        if (ContactTasks.Sla <= TimeSpan.Zero)
        {
            errors.Add("ContactTasks:Sla: must be positive");
        }

        if (Damages.AmountPerPiece < 0 || string.IsNullOrWhiteSpace(Damages.Currency))
        {
            errors.Add("Damages: AmountPerPiece must be zero or more and Currency set");
        }

        errors.AddRange(Redis.Validate());
        if (FloodgateDb.NormalizeProvider(Database.Provider) is not { } provider)
        {
            errors.Add($"Database:Provider: '{Database.Provider}' is not one of sqlite, postgresql");
        }
        else if (provider == FloodgateDb.Postgres && string.IsNullOrWhiteSpace(Database.ConnectionString))
        {
            errors.Add("Database:ConnectionString: required for postgresql (or --db), e.g. Host=db.example;Port=5432;Username=floodgate;Database=floodgate");
        }

        Doors.PostfixOptions.Validate(PolicyDelegation, Milter, static text => Endpoints.TryParse(text, out _), errors);
        errors.AddRange(Lmtp.Validate());
        errors.AddRange(LoginThrottle.Validate());
        errors.AddRange(Blocklists.Validate());
        errors.AddRange(Complaints.Validate());

        return errors;
    }
}

public sealed class SpoolOptions
{
    /// <summary>Bytes one message may hold in memory before the rest goes to a spool file.</summary>
    public int MemoryThreshold { get; set; } = 1024 * 1024;

    /// <summary>All messages' in-memory bytes together; past it, new content goes to disk.</summary>
    public long MaxMemoryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>All spool files together; past it, a message is refused with 452 4.3.1 (the client retries).</summary>
    public long MaxSpoolBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}

public sealed class DatabaseOptions
{
    /// <summary>sqlite (the default) or postgresql (postgres is accepted).</summary>
    public string Provider { get; set; } = FloodgateDb.Sqlite;

    /// <summary>Null: SQLite file floodgate.db in the data folder. Required for postgresql.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The database to open: the command line's values (when given) over these settings.</summary>
    internal ResolvedDatabase Resolve(string? connectionString, string? provider, string dataDirectory)
    {
        var p = FloodgateDb.NormalizeProvider(string.IsNullOrWhiteSpace(provider) ? Provider : provider)
            ?? throw new ArgumentException($"Unknown database provider \"{provider ?? Provider}\"; expected sqlite or postgresql");
        var cs = !string.IsNullOrWhiteSpace(connectionString) ? connectionString
            : !string.IsNullOrWhiteSpace(ConnectionString) ? ConnectionString
            : p == FloodgateDb.Sqlite ? FloodgateDb.SqliteConnectionString(dataDirectory)
            : throw new ArgumentException("Database:ConnectionString (or --db) is required for postgresql");
        return new ResolvedDatabase(p, cs);
    }
}

/// <summary>A provider and its connection string; <see cref="Redacted"/> is the one to print.</summary>
internal sealed record ResolvedDatabase(string Provider, string ConnectionString)
{
    public string Redacted => FloodgateDb.Redact(ConnectionString, Provider);
}

internal static class Endpoints
{
    public static bool TryParse(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var t = text.Trim();
        if (t.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            t = "127.0.0.1:" + t["localhost:".Length..];
        }
        else if (t.StartsWith("*:", StringComparison.Ordinal))
        {
            t = "0.0.0.0:" + t[2..];
        }

        if (!IPEndPoint.TryParse(t, out var ep) || ep.Port == 0 && !t.EndsWith(":0", StringComparison.Ordinal))
        {
            return false;
        }

        endPoint = ep;
        return true;
    }

    public static string Format(IPEndPoint ep) => ep.ToString();

    public static int ParsePort(string text) => int.Parse(text, CultureInfo.InvariantCulture);
}
