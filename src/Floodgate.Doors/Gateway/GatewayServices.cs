using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Doors.Gateway;

/// <summary>What every gateway session shares.</summary>
internal sealed class GatewayServices : ISmtpSessionFactory
{
    public GatewayServices(SmtpOptions options, PolicyEngine engine, Authenticator authenticator, IMessageRelay relay, int minTrackedRecipients, IListPosts? lists = null)
    {
        Lists = lists ?? NoListPosts.Instance;
        Options = options;
        Engine = engine;
        Authenticator = authenticator;
        Relay = relay;
        MinTrackedRecipients = minTrackedRecipients;
        Senders = new SenderResolver(engine.Directory, options.TrustedNetworks.Select(IPNetwork.Parse), [SenderSource.EnvelopeSender]);
    }

    public SmtpOptions Options { get; }

    public PolicyEngine Engine { get; }

    public Authenticator Authenticator { get; }

    public IMessageRelay Relay { get; }

    /// <summary>The hosted lists: a poster's mail to its list's address becomes a post here.</summary>
    public IListPosts Lists { get; }

    /// <summary>The gateway's side of the one sender rule: without AUTH, a trusted client names its mailbox by the envelope sender.</summary>
    public SenderResolver Senders { get; }

    public Fingerprinter Fingerprinter { get; } = Fingerprinter.Shared;

    /// <summary>The detector neither judges nor remembers a message to fewer external recipients (the windows cover those).</summary>
    public int MinTrackedRecipients { get; }

    /// <summary>The RFC 9477 trace fields every relayed message gets, written through <see cref="Spool"/>; null: none.</summary>
    public Complaints.TraceHeaders? Trace { get; init; }

    public Protocols.Content.MessageSpool? Spool { get; init; }

    public ISmtpSession Open(SmtpConnectionInfo connection) => new GatewaySession(this, connection);
}
