using System.Net;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Doors.Gateway;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Smtp;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Api;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// Starts the submission gateway: writes the offenses a previous process journaled, loads the account
/// directory, rebuilds the windows and the detector's memory from the transaction log (a restart never
/// resets them), opens the SMTP listeners.
/// </summary>
internal sealed partial class GatewayHost(
    FloodgateOptions options,
    GatewayServices services,
    StateRefresher refresher,
    TransactionLog transactions,
    TransactionLogWriter writer,
    EnforcementService enforcement,
    EnforcementStore offenses,
    DurableOffenseRecorder recorder,
    Floodgate.Core.Accounts.IPasswordVerifier passwords,
    Floodgate.Core.Detection.MassMailDetector detector,
    IMessageRelay relay,
    Floodgate.Protocols.Content.MessageSpool spool,
    ILoggerFactory loggers) : IHostedService, IHealthSource
{
    private readonly ILogger _logger = loggers.CreateLogger("Floodgate");
    private SmtpServer? _smtp;
    private SnapshotFile? _recipients;
    private SnapshotFile? _networks;

    public IReadOnlyList<IPEndPoint> SmtpEndPoints => _smtp?.EndPoints ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var replayed = await recorder.ReplayAsync(cancellationToken);
        if (replayed > 0)
        {
            LogReplayed(_logger, replayed);
        }

        await refresher.RefreshAsync(cancellationToken);

        // The hash unknown logins are checked against, made now on the pool: never on a socket thread.
        await Task.Run(() => passwords.DummyHash, cancellationToken);
        var rebuilt = await RebuildWindowsAsync(cancellationToken);
        _recipients = new SnapshotFile(Path.Combine(options.DataDirectory, "recipients.bin"), "Recipient memory", detector.ReadRecipients, s => detector.WriteRecipients(s), _logger);
        _recipients.Load();
        _recipients.Start();
        _networks = new SnapshotFile(Path.Combine(options.DataDirectory, "networks.bin"), "Login networks",
            s => detector.Compromise.ReadNetworks(s, services.Engine.Time.GetUtcNow()), s => detector.Compromise.WriteNetworks(s), _logger);
        _networks.Load();
        _networks.Start();
        enforcement.Load(await offenses.LoadAllOffenseTimesAsync(services.Engine.Time.GetUtcNow() - options.Ladder.LookBack, cancellationToken));

        var smtpOptions = new SmtpServerOptions
        {
            HostName = options.Smtp.Hostname,
            MaxMessageSize = options.Smtp.MaxMessageSize,
            MaxConnections = options.Smtp.MaxConnections,
            MaxConnectionsPerAddress = options.Smtp.MaxConnectionsPerAddress,
            CommandTimeout = options.Smtp.CommandTimeout,
            DataTimeout = options.Smtp.DataTimeout,
            MaxJunkCommands = options.Smtp.MaxJunkCommands,
            MaxSessionLifetime = options.Smtp.MaxSessionLifetime,
            Spool = spool,
            Certificate = Certificates.LoadOrCreate(options.Smtp, options.DataDirectory, services.Engine.Time, out var certificate),
        };
        foreach (var listen in options.Smtp.Listen)
        {
            Endpoints.TryParse(listen, out var ep);
            smtpOptions.Listeners.Add(new SmtpListenerOptions { EndPoint = ep, Name = "submission", Mode = SmtpListenerMode.StartTls });
        }

        foreach (var listen in options.Smtp.ImplicitTlsListen)
        {
            Endpoints.TryParse(listen, out var ep);
            smtpOptions.Listeners.Add(new SmtpListenerOptions { EndPoint = ep, Name = "submissions", Mode = SmtpListenerMode.ImplicitTls });
        }

        foreach (var listener in smtpOptions.Listeners)
        {
            listener.ProxyFrom.AddRange(options.Smtp.ProxyFrom.Select(IPNetwork.Parse));
        }

        smtpOptions.Validate();
        _smtp = new SmtpServer(smtpOptions, services, loggers.CreateLogger<SmtpServer>());
        await _smtp.StartAsync(cancellationToken);

        LogStarted(_logger, string.Join(", ", _smtp.EndPoints), certificate, services.Engine.Directory.MailboxCount, rebuilt);
        if (options.Upstream.Url is null)
        {
            LogNoUpstream(_logger, relay.Describe());
        }
        else
        {
            LogUpstream(_logger, relay.Describe());
        }

        if (options.Smtp.TrustedNetworks.Count > 0)
        {
            LogTrusted(_logger, string.Join(", ", options.Smtp.TrustedNetworks));
        }

        if (!string.IsNullOrWhiteSpace(options.DovecotAuth.EndPoint))
        {
            LogDovecot(_logger, options.DovecotAuth.EndPoint);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_smtp is not null)
        {
            await _smtp.StopAsync(cancellationToken);
            await _smtp.DisposeAsync();
        }

        // Sessions have ended: what they wrote goes to the database before the process does.
        if (_recipients is not null)
        {
            await _recipients.DisposeAsync();
        }

        if (_networks is not null)
        {
            await _networks.DisposeAsync();
        }

        await writer.DisposeAsync();
        await recorder.DisposeAsync();
        await relay.DisposeAsync();
    }

    public ValueTask<IReadOnlyList<HealthCheck>> CheckAsync(CancellationToken cancellationToken)
    {
        var smtp = _smtp;
        IReadOnlyList<HealthCheck> checks =
        [
            new("smtp", smtp is not null, smtp is null ? "not started" : $"listening on {string.Join(", ", smtp.EndPoints)}; {smtp.ConnectionCount} connections"),
            new("accounts", true, $"{services.Engine.Directory.MailboxCount} mailboxes, state version {services.Engine.Directory.Version}"),
            new("transaction-log", writer.Failures == 0 || writer.Pending < 50_000, $"{writer.Written} written, {writer.Pending} pending, {writer.Dropped} dropped"),
            HotStateCheck(),
            new("relay", true, relay.Describe()),
        ];
        return ValueTask.FromResult(checks);
    }

    // Shared windows: healthy while Redis decides; in the fallback the node is up but not enforcing
    // the shared count, which monitoring must see.
    private HealthCheck HotStateCheck()
    {
        if (services.Engine.Counters is not Floodgate.Storage.HotState.RedisCounterStore shared)
        {
            return new("hot-state", true, "in process");
        }

        var state = shared.State;
        return state.IsAvailable
            ? new("hot-state", true, $"shared in Redis at {state.Describe()}; {state.Nodes} node(s)")
            : new("hot-state", false, $"Redis at {state.Describe()} unavailable: local windows at 1/{state.Nodes} or 451 4.3.0, per scope ({shared.Fallbacks} local reservations, {shared.UnavailableRefusals} refused)");
    }

    private async Task<int> RebuildWindowsAsync(CancellationToken cancellationToken)
    {
        var engine = services.Engine;
        var shared = engine.Counters as Floodgate.Storage.HotState.RedisCounterStore;
        if (shared is not null)
        {
            // Redis keeps the windows across node restarts: only the node that finds them empty writes them.
            await shared.ClaimRebuildAsync();
            shared.State.Restored += () => _ = RebuildSharedWindowsAsync(shared);
        }

        try
        {
            var rows = await transactions.LoadSinceAsync(engine.Time.GetUtcNow().AddHours(-24), cancellationToken);
            return TransactionLogReplay.Apply(rows, engine, detector, engine.Time.GetUtcNow());
        }
        finally
        {
            shared?.RebuildDone();
        }
    }

    // Redis came back: if it came back empty (restarted without persistence), one node writes the
    // windows again from the transaction log, which every node kept writing during the outage.
    private async Task RebuildSharedWindowsAsync(Floodgate.Storage.HotState.RedisCounterStore shared)
    {
        try
        {
            if (!await shared.ClaimRebuildAsync())
            {
                return;
            }

            var engine = services.Engine;
            var rows = await transactions.LoadSinceAsync(engine.Time.GetUtcNow().AddHours(-24), CancellationToken.None);
            var counted = TransactionLogReplay.Apply(rows, engine, detector: null, engine.Time.GetUtcNow());
            LogWindowsRebuilt(_logger, counted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWindowsRebuildFailed(_logger, e.Message);
        }
        finally
        {
            shared.RebuildDone();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis came back empty: windows rebuilt in it from {Transactions} transactions of the last 24 h")]
    private static partial void LogWindowsRebuilt(ILogger logger, int transactions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not rebuild the windows in Redis: {Error}")]
    private static partial void LogWindowsRebuildFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Floodgate SMTP gateway listening on {EndPoints} (STARTTLS with {Certificate}); {Mailboxes} mailboxes; windows rebuilt from {Transactions} transactions of the last 24 h")]
    private static partial void LogStarted(ILogger logger, string endPoints, string certificate, int mailboxes, int transactions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wrote {Count} offense(s) from the journal of a previous process to the database")]
    private static partial void LogReplayed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "NO UPSTREAM MTA CONFIGURED: accepted mail is written to {Outbox}, not delivered. Set Upstream:Url (--upstream smtp://host:port) for production.")]
    private static partial void LogNoUpstream(ILogger logger, string outbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Relaying accepted mail in-line to {Upstream}")]
    private static partial void LogUpstream(ILogger logger, string upstream);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trusted networks may submit without AUTH: {Networks}")]
    private static partial void LogTrusted(ILogger logger, string networks);

    [LoggerMessage(Level = LogLevel.Information, Message = "AUTH goes to Dovecot's auth service at {EndPoint} (454 4.7.0 while it cannot answer)")]
    private static partial void LogDovecot(ILogger logger, string endPoint);
}
