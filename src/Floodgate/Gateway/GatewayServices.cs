using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Hosting;
using Floodgate.Protocols.Smtp;
using Floodgate.Relay;

namespace Floodgate.Gateway;

/// <summary>Checks a password against a stored hash (the storage's KDF).</summary>
public interface IPasswordVerifier
{
    /// <summary>Completes synchronously when the answer is cheap; a KDF run happens off the caller's thread.</summary>
    ValueTask<bool> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken);
}

/// <summary>What every gateway session shares.</summary>
internal sealed class GatewayServices : ISmtpSessionFactory
{
    private readonly IPNetwork[] _trusted;

    public GatewayServices(FloodgateOptions options, PolicyEngine engine, LoginThrottle throttle, IPasswordVerifier passwords, IMessageRelay relay, GatewayLog log)
    {
        Options = options;
        Engine = engine;
        Throttle = throttle;
        Passwords = passwords;
        Relay = relay;
        Log = log;
        _trusted = options.Smtp.TrustedNetworks.Select(IPNetwork.Parse).ToArray();
    }

    public FloodgateOptions Options { get; }

    public PolicyEngine Engine { get; }

    public LoginThrottle Throttle { get; }

    public IPasswordVerifier Passwords { get; }

    public IMessageRelay Relay { get; }

    public GatewayLog Log { get; }

    public Fingerprinter Fingerprinter { get; } = Fingerprinter.Shared;

    public int MinTrackedRecipients => Options.Detection.MinTrackedRecipients;

    public bool IsTrusted(IPAddress address)
    {
        foreach (var network in _trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    public ISmtpSession Open(SmtpConnectionInfo connection) => new GatewaySession(this, connection);
}
