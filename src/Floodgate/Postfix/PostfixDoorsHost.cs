using System.Net;
using Floodgate.Core.Policy;
using Floodgate.Hosting;
using Floodgate.Protocols.Milter;
using Floodgate.Protocols.PolicyDelegation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Postfix;

/// <summary>
/// Starts the Postfix front doors: policy delegation (check_policy_service) and the milter
/// (smtpd_milters). Registered after the gateway host, which loads the account directory first.
/// </summary>
internal sealed partial class PostfixDoorsHost(FloodgateOptions options, PolicyEngine engine, PostfixLog log, ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _logger = loggers.CreateLogger("Floodgate");
    private PolicyServer? _policy;
    private MilterServer? _milter;

    public PolicyDelegationHandler? PolicyHandler { get; private set; }

    public IReadOnlyList<EndPoint> PolicyEndPoints => _policy?.LocalEndPoints ?? [];

    public IReadOnlyList<EndPoint> MilterEndPoints => _milter?.LocalEndPoints ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var policyOptions = options.PolicyDelegation;
        var milterOptions = options.Milter;
        if (policyOptions.Enabled)
        {
            PolicyHandler = new PolicyDelegationHandler(engine, log, policyOptions, milterInspects: milterOptions.Enabled);
            _policy = new PolicyServer(
                new PolicyServerOptions { TcpEndPoints = [.. policyOptions.Listen], UnixSocketPath = policyOptions.UnixSocket },
                PolicyHandler,
                loggers.CreateLogger<PolicyServer>());
            await _policy.StartAsync(cancellationToken);
            LogPolicy(_logger, string.Join(", ", _policy.LocalEndPoints));
        }

        if (milterOptions.Enabled)
        {
            var gateway = new MilterGateway(engine, log, milterOptions);
            _milter = new MilterServer(
                new MilterServerOptions { TcpEndPoints = [.. milterOptions.Listen], UnixSocketPath = milterOptions.UnixSocket, SkippedSteps = MilterGateway.SkippedSteps },
                gateway,
                loggers.CreateLogger<MilterServer>());
            await _milter.StartAsync(cancellationToken);
            LogMilter(_logger, string.Join(", ", _milter.LocalEndPoints), gateway.Count ? "enforces RCPT and counts" : "inspects content; policy delegation counts", milterOptions.HoldAction);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_policy is not null)
        {
            await _policy.StopAsync(cancellationToken);
            await _policy.DisposeAsync();
        }

        if (_milter is not null)
        {
            await _milter.StopAsync(cancellationToken);
            await _milter.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Floodgate policy delegation listening on {EndPoints} (Postfix: check_policy_service inet:<address:port>)")]
    private static partial void LogPolicy(ILogger logger, string endPoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Floodgate milter listening on {EndPoints} ({Role}; hold action {HoldAction})")]
    private static partial void LogMilter(ILogger logger, string endPoints, string role, string holdAction);
}
