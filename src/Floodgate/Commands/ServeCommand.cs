using System.CommandLine;
using Floodgate.Hosting;
using Microsoft.Extensions.Configuration;

namespace Floodgate.Commands;

/// <summary>`floodgate serve`: runs every front door on the embedded defaults, or as configured.</summary>
internal static class ServeCommand
{
    public static Command Create(CliOptions cli)
    {
        var smtp = new Option<string[]>("--smtp") { Description = "SMTP submission listener address:port (repeatable; default 127.0.0.1:2525)" };
        var smtps = new Option<string[]>("--smtps") { Description = "Implicit-TLS submission listener address:port (repeatable)" };
        var web = new Option<string?>("--web") { Description = "Web listener (health, metrics, API), e.g. 127.0.0.1:8025" };
        var upstream = new Option<string?>("--upstream") { Description = "Upstream MTA, smtp://host:port or smtps://host:port (default: write to <data>/outbox)" };
        var trusted = new Option<string[]>("--trusted") { Description = "Network (CIDR) allowed to submit without AUTH; the envelope sender names the mailbox (repeatable)" };
        var certificate = new Option<string?>("--certificate") { Description = "PKCS#12 certificate for STARTTLS (default: self-signed, generated into <data>/tls)" };
        var policy = new Option<string[]>("--policy") { Description = "Postfix policy delegation listener address:port (repeatable; default 127.0.0.1:10040)" };
        var milter = new Option<string[]>("--milter") { Description = "Milter listener address:port (repeatable; default 127.0.0.1:10041)" };
        var lmtp = new Option<string[]>("--lmtp") { Description = "LMTP listener for the hosted lists' inbound mail, address:port (repeatable; default 127.0.0.1:10042)" };
        var dovecot = new Option<string?>("--dovecot-auth") { Description = "Check AUTH against Dovecot's auth service: a unix socket path or HOST:PORT (default: Floodgate's own store)" };
        var redis = new Option<string?>("--redis") { Description = "Share the windows, the detector's recent messages and suspensions with other nodes through Redis at HOST:PORT (default: in this process)" };
        var command = new Command("serve", "Run Floodgate: the SMTP submission gateway, the Postfix policy and milter doors, the LMTP listener for the lists, health and metrics")
        {
            smtp, smtps, web, upstream, trusted, certificate, policy, milter, lmtp, dovecot, redis,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = new Dictionary<string, string?>();
            if (parseResult.GetResult(cli.Data) is { Implicit: false })
            {
                settings["DataDirectory"] = parseResult.GetValue(cli.Data);
            }

            AddList(settings, "Smtp:Listen", parseResult.GetValue(smtp));
            AddList(settings, "Smtp:ImplicitTlsListen", parseResult.GetValue(smtps));
            AddList(settings, "Smtp:TrustedNetworks", parseResult.GetValue(trusted));
            AddList(settings, "PolicyDelegation:Listen", parseResult.GetValue(policy));
            AddList(settings, "Milter:Listen", parseResult.GetValue(milter));
            AddList(settings, "Lmtp:Listen", parseResult.GetValue(lmtp));
            if (parseResult.GetValue(web) is { } w)
            {
                settings["Web:Url"] = w.Contains("://", StringComparison.Ordinal) ? w : "http://" + w;
            }

            if (parseResult.GetValue(upstream) is { } u)
            {
                settings["Upstream:Url"] = u;
            }

            if (parseResult.GetValue(dovecot) is { } d)
            {
                settings["DovecotAuth:EndPoint"] = d;
            }

            if (parseResult.GetValue(redis) is { Length: > 0 } r)
            {
                settings["Redis:Configuration"] = r;
            }

            if (parseResult.GetValue(certificate) is { } c)
            {
                settings["Smtp:CertificatePath"] = c;
            }

            if (parseResult.GetValue(cli.Provider) is { } provider && parseResult.GetResult(cli.Provider) is { Implicit: false })
            {
                settings["Database:Provider"] = provider;
            }

            if (parseResult.GetValue(cli.Db) is { Length: > 0 } db)
            {
                settings["Database:ConnectionString"] = db;
            }

            // --db and --db-provider are in the overrides, so Database:* in floodgate.json applies when they are not given.
            var overrides = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            return await ServeHost.RunAsync(
                overrides,
                connectionString: null,
                provider: null,
                parseResult.InvocationConfiguration.Error,
                cancellationToken);
        });
        return command;
    }

    private static void AddList(Dictionary<string, string?> settings, string key, string[]? values)
    {
        if (values is null)
        {
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            settings[$"{key}:{i}"] = values[i];
        }
    }
}
