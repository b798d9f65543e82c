using System.Net;
using Floodgate.Core.Policy;
using Floodgate.Doors.Milter;
using Floodgate.Doors.PolicyDelegation;
using Floodgate.Protocols.Milter;
using Floodgate.Protocols.PolicyDelegation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// Starts the Postfix doors: policy delegation (check_policy_service) and the milter (smtpd_milters).
/// Registered after the gateway host, which loads the account directory first.
/// </summary>
internal sealed partial class PostfixDoorsHost(
    FloodgateOptions options, PolicyEngine engine, Floodgate.Protocols.Content.MessageSpool spool, Floodgate.Core.Accounts.IMailboxProvisioner provisioner, ILoggerFactory loggers,
    Floodgate.Doors.Complaints.TraceHeaders? trace = null) : IHostedService
{
    private readonly ILogger _logger = loggers.CreateLogger("Floodgate");
    private PolicyServer? _policy;
    private MilterServer? _milter;
    private ITimer? _sweep;

    public PolicyDoor? PolicyDoor { get; private set; }

    public IReadOnlyList<EndPoint> PolicyEndPoints => _policy?.LocalEndPoints ?? [];

    public IReadOnlyList<EndPoint> MilterEndPoints => _milter?.LocalEndPoints ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var policyOptions = options.PolicyDelegation;
        var milterOptions = options.Milter;
        if (policyOptions.Enabled)
        {
            PolicyDoor = new PolicyDoor(engine, policyOptions, loggers.CreateLogger<PolicyDoor>(), provisioner: provisioner);
            _policy = new PolicyServer(
                new PolicyServerOptions { TcpEndPoints = [.. policyOptions.Listen], UnixSocketPath = policyOptions.UnixSocket },
                PolicyDoor,
                loggers.CreateLogger<PolicyServer>());
            await _policy.StartAsync(cancellationToken);

            // Messages whose END-OF-MESSAGE never comes are counted at their timeout even when no other request arrives.
            _sweep = engine.Time.CreateTimer(static state => ((PolicyDoor)state!).Sweep(), PolicyDoor, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            LogPolicy(_logger, string.Join(", ", _policy.LocalEndPoints), policyOptions.UnknownLogin.ToString().ToLowerInvariant());
        }

        if (milterOptions.Enabled)
        {
            var door = new MilterDoor(engine, milterOptions, spool, loggers.CreateLogger<MilterDoor>(), provisioner) { Trace = trace };
            _milter = new MilterServer(
                new MilterServerOptions { TcpEndPoints = [.. milterOptions.Listen], UnixSocketPath = milterOptions.UnixSocket, SkippedSteps = door.Steps },
                door,
                loggers.CreateLogger<MilterServer>());
            await _milter.StartAsync(cancellationToken);
            LogMilter(_logger, string.Join(", ", _milter.LocalEndPoints), door.Counts ? "enforces RCPT and counts" : "inspects content, not waited for at MAIL and RCPT; policy delegation counts", milterOptions.HoldAction);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_policy is not null)
        {
            _sweep?.Dispose();
            await _policy.StopAsync(cancellationToken);
            await _policy.DisposeAsync();

            // What Postfix never ended counts, as it would have at expiry.
            PolicyDoor?.CompleteAll();
        }

        if (_milter is not null)
        {
            await _milter.StopAsync(cancellationToken);
            await _milter.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Floodgate policy delegation listening on {EndPoints} (Postfix: check_policy_service inet:<address:port>); unknown logins: {UnknownLogin}")]
    private static partial void LogPolicy(ILogger logger, string endPoints, string unknownLogin);

    [LoggerMessage(Level = LogLevel.Information, Message = "Floodgate milter listening on {EndPoints} ({Role}; hold action {HoldAction})")]
    private static partial void LogMilter(ILogger logger, string endPoints, string role, string holdAction);
}
