using Floodgate.Web.Lists;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Doors;
using Floodgate.Doors.Gateway;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.DovecotAuth;
using Floodgate.Storage;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Accounts.Passwords;
using Floodgate.Storage.HotState;
using Floodgate.Storage.Transactions;
using Floodgate.Storage.Access;
using Floodgate.Storage.Audit;
using Floodgate.Web;
using Floodgate.Web.Api;
using Floodgate.Web.Blocklists;
using Floodgate.Web.Complaints;
using Floodgate.Web.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;


namespace Floodgate.Hosting;

/// <summary>`floodgate serve`: every front door, the engine, storage and the web endpoints in one process.</summary>
internal static partial class ServeHost
{
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static async Task<int> RunAsync(IConfiguration overrides, string? connectionString, string? provider, TextWriter error, CancellationToken cancellationToken)
    {
        var (serve, exitCode) = await StartAsync(overrides, connectionString, provider, error, cancellationToken);
        if (serve is null)
        {
            return exitCode;
        }

        await using (serve)
        {
            await serve.App.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }

    /// <summary>
    /// Builds and starts everything `serve` runs, or says why not (exit code 2: configuration, 1: start).
    /// Tests run it in-process on ports the OS picks.
    /// </summary>
    internal static async Task<(RunningServe? Serve, int ExitCode)> StartAsync(IConfiguration overrides, string? connectionString, string? provider, TextWriter error, CancellationToken cancellationToken)
    {
        var options = new FloodgateOptions();
        IConfigurationRoot configuration;
        try
        {
            configuration = FloodgateConfiguration.Build(overrides);
            configuration.Bind(options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or JsonException)
        {
            await error.WriteLineAsync($"floodgate: configuration error: {ex.Message}{(ex.InnerException is null ? string.Empty : " (" + ex.InnerException.Message + ")")}");
            return (null, 2);
        }

        options.ApplyDefaults();
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            await error.WriteLineAsync("floodgate: the configuration is not valid:");
            foreach (var p in problems)
            {
                await error.WriteLineAsync("  " + p);
            }

            return (null, 2);
        }

        // --db and --db-provider win over Database:ConnectionString and Database:Provider.
        var database = options.Database.Resolve(connectionString, provider, options.DataDirectory);

        // Socket completions run on the socket event thread instead of hopping to the thread pool:
        // 25 % less CPU per relayed message (bench/RESULTS.md, "Runtime settings"). Safe only because no
        // socket continuation of ours blocks: the one slow step, Argon2id at AUTH, goes to the pool
        // (CachingPasswordVerifier). Not on PostgreSQL: Npgsql's continuations would run there too, and
        // the one synchronous wait on the database at start (ListTokens' key) then blocks the very thread
        // its reply needs (serve hung at start, the end-to-end tests saw it). Redis is fine: every door
        // awaits it (a synchronous wait there once cut kept-open load to a sixth, bench/RESULTS.md
        // "Issue 16"), and the console's few synchronous reads run on Kestrel's pool threads. The runtime
        // reads the variable once, at the first socket, which is after this line; an operator's own
        // value (0 or 1) wins.
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null && database.Provider == FloodgateDb.Sqlite)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }

        Directory.CreateDirectory(options.DataDirectory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        // "No XML encryptor configured": the key folder is mode 0700 in the data folder (WebSecurity), said once in the README, not at every start.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.WebHost.UseUrls(options.Web.Url);

        var dbFactory = FloodgateDb.CreateFactory(database.ConnectionString, database.Provider);
        var time = TimeProvider.System;
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(dbFactory);
        services.AddSingleton(time);
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<TransactionLog>();
        services.AddSingleton(options.ContactTasks);
        services.AddSingleton(options.Damages);
        services.AddSingleton<EnforcementStore>();
        // The list service's store: the detector's bounce reputation and the list service read it.
        services.AddSingleton<Floodgate.Storage.Lists.ListStore>();
        services.AddSingleton(sp => new TransactionLogWriter(dbFactory, new TransactionLogWriterOptions(), time, sp.GetRequiredService<ILogger<TransactionLogWriter>>()));
        services.AddSingleton(sp => new DurableOffenseRecorder(
            sp.GetRequiredService<EnforcementStore>(), Path.Combine(options.DataDirectory, "offenses.journal"), time, sp.GetRequiredService<ILogger<DurableOffenseRecorder>>(),
            ladder: options.Ladder));
        services.AddSingleton<AccountDirectory>();
        services.AddSingleton(sp =>
        {
            var spool = new Floodgate.Protocols.Content.MessageSpool(
                new Floodgate.Protocols.Content.MessageSpoolOptions
                {
                    Directory = Path.Combine(options.DataDirectory, "spool"),
                    MemoryThreshold = options.Spool.MemoryThreshold,
                    MaxMemoryBytes = options.Spool.MaxMemoryBytes,
                    MaxSpoolBytes = options.Spool.MaxSpoolBytes,
                },
                sp.GetRequiredService<ILogger<Floodgate.Protocols.Content.MessageSpool>>());
            SpoolMetrics.Observe(spool);
            return spool;
        });
        if (options.Redis.Enabled)
        {
            // Several nodes: the windows, the detector's recent messages and the announcements of
            // suspensions go through Redis. Connected once at start; a Redis that is down then leaves
            // the node in its fallback until it answers.
            services.AddSingleton(sp => RedisHotState.ConnectAsync(options.Redis, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Floodgate.HotState")).GetAwaiter().GetResult());
            services.AddSingleton(sp =>
            {
                var store = new RedisCounterStore(sp.GetRequiredService<RedisHotState>());
                HotStateMetrics.Observe(store);
                return store;
            });
            services.AddSingleton<ICounterStore>(sp => sp.GetRequiredService<RedisCounterStore>());
            services.AddSingleton<Floodgate.Core.Blocklists.IRoundLease>(sp => sp.GetRequiredService<RedisHotState>());
            services.AddSingleton(sp => new RedisDetectorFeed(sp.GetRequiredService<RedisHotState>(), sp.GetRequiredService<MassMailDetector>(),
                sp.GetRequiredService<AccountDirectory>(), time, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Floodgate.HotState")));
        }
        else
        {
            services.AddSingleton<ICounterStore, InProcessCounterStore>();
        }

        services.AddSingleton(options.Policy);
        services.AddSingleton(options.Ladder);
        services.AddSingleton(options.Detection);
        services.AddSingleton<TransactionMetrics>();
        services.AddSingleton(_ => new TrafficStatistics(time));
        services.AddSingleton<TrafficHistory>();
        services.AddHostedService<TrafficStatisticsLoader>();

        // The engine and what consumes its transactions: the log, the detector's memory, the metrics.
        services.AddSingleton(sp => new EnforcementService(
            sp.GetRequiredService<AccountDirectory>(), options.Ladder, options.Policy,
            sp.GetService<RedisHotState>() is { } peers ? new AnnouncingOffenseRecorder(sp.GetRequiredService<DurableOffenseRecorder>(), peers) : sp.GetRequiredService<DurableOffenseRecorder>(),
            sp.GetRequiredService<ILogger<EnforcementService>>(), sp.GetRequiredService<TransactionMetrics>()));
        services.AddSingleton(sp => new MassMailDetector(options.Detection,
            sp.GetRequiredService<Floodgate.Web.Lists.BounceReputation>(), sp.GetRequiredService<Floodgate.Web.Complaints.ComplaintReputation>()));
        services.AddSingleton(sp =>
        {
            var feed = sp.GetService<RedisDetectorFeed>();
            var engine = new PolicyEngine(
                sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<ICounterStore>(), time, options.Policy,
                sp.GetRequiredService<MassMailDetector>(), sp.GetRequiredService<EnforcementService>())
            {
                SharedMemory = feed,
            };
            if (feed is not null)
            {
                engine.AddObserver(feed);
            }

            engine.AddObserver(new TransactionLogObserver(sp.GetRequiredService<TransactionLogWriter>()));
            engine.AddObserver(sp.GetRequiredService<TransactionMetrics>());
            engine.AddObserver(sp.GetRequiredService<TrafficStatistics>());
            engine.AddObserver(sp.GetRequiredService<Floodgate.Storage.Notifications.HeldNotifier>());
            return engine;
        });
        services.AddSingleton(sp =>
        {
            // A new password (a reinstatement, an operator's reset) gives the owner a clean budget, and the
            // addresses a thief logged in from stop being known ones; from any writer, on every node.
            var throttle = new LoginThrottle(time, options.LoginThrottle);
            var compromise = sp.GetRequiredService<MassMailDetector>().Compromise;
            sp.GetRequiredService<AccountDirectory>().CredentialChanged += m =>
            {
                throttle.Forget(m.Address);
                // The networks and unknown recipients counted so far were the thief's: the owner starts clean.
                compromise.Forget(m.Id, time.GetUtcNow());
            };
            return throttle;
        });
        services.AddSingleton(sp => sp.GetRequiredService<MassMailDetector>().Compromise);
        services.AddSingleton<IPasswordVerifier, CachingPasswordVerifier>();
        services.AddSingleton(options.Accounts);
        services.AddSingleton<PasswordUpgrader>();
        services.AddSingleton<IMailboxProvisioner, MailboxAutoCreator>();
        if (!string.IsNullOrWhiteSpace(options.DovecotAuth.EndPoint))
        {
            // Passwords live in Dovecot: nothing of Floodgate's to upgrade.
            services.AddSingleton(_ => new DovecotAuthClient(options.DovecotAuth));
            services.AddSingleton<IPasswordAuthority>(sp => new DovecotPasswordAuthority(sp.GetRequiredService<DovecotAuthClient>(), options.DovecotAuth.Service));
        }
        else
        {
            services.AddSingleton<IPasswordAuthority>(sp => new StoredPasswordAuthority(
                sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<IPasswordVerifier>(), sp.GetRequiredService<PasswordUpgrader>()));
        }

        services.AddSingleton(sp => new Authenticator(
            sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<LoginThrottle>(), sp.GetRequiredService<IPasswordAuthority>(),
            sp.GetRequiredService<IMailboxProvisioner>(), time));
        services.AddSingleton<IMessageRelay>(sp => options.Upstream.Url is null
            ? new OutboxRelay(Path.Combine(options.DataDirectory, "outbox"), time)
            : new SmtpUpstreamRelay(options.Upstream, sp.GetRequiredService<ILogger<SmtpUpstreamRelay>>()));
        services.AddSingleton(sp => new GatewayServices(
            options.Smtp, sp.GetRequiredService<PolicyEngine>(), sp.GetRequiredService<Authenticator>(), sp.GetRequiredService<IMessageRelay>(), options.Detection.MinTrackedRecipients,
            sp.GetRequiredService<Floodgate.Core.Lists.IListPosts>())
        {
            Trace = sp.GetService<Floodgate.Doors.Complaints.TraceHeaders>(),
            Spool = sp.GetRequiredService<Floodgate.Protocols.Content.MessageSpool>(),
        });
        if (options.Complaints.TraceHeader)
        {
            services.AddSingleton(sp => new Floodgate.Doors.Complaints.TraceHeaders(sp.GetRequiredService<Floodgate.Core.Complaints.FeedbackId>(), options.Complaints.Address));
        }

        services.AddSingleton(sp => new StateRefresher(
            sp.GetRequiredService<AccountStore>(), sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<EnforcementService>(),
            sp.GetRequiredService<ILogger<StateRefresher>>(), sp.GetService<RedisHotState>()));
        services.AddSingleton<IDirectoryRefresher>(sp => sp.GetRequiredService<StateRefresher>());
        services.AddSingleton(sp => new Explainer(
            sp.GetRequiredService<PolicyEngine>(), sp.GetRequiredService<MassMailDetector>(), sp.GetRequiredService<EnforcementService>(), options.Ladder));
        services.AddSingleton<GatewayHost>();
        services.AddSingleton<IHealthSource>(sp => sp.GetRequiredService<GatewayHost>());
        services.AddHostedService(sp => sp.GetRequiredService<GatewayHost>());
        services.AddHostedService(sp => sp.GetRequiredService<StateRefresher>());

        // The Postfix doors: after GatewayHost, which loads the account directory.
        services.AddSingleton<PostfixDoorsHost>();
        services.AddHostedService(sp => sp.GetRequiredService<PostfixDoorsHost>());

        // The hosted lists' inbound mail; list routing replaces the placeholder by registering its own factory.
        services.AddFloodgateLists(options.Lists);
        services.AddFloodgateComplaints(options.Complaints, options.DataDirectory);
        services.TryAddSingleton<Floodgate.Protocols.Lmtp.ILmtpSessionFactory, Floodgate.Protocols.Lmtp.UnroutedLmtpSessionFactory>();
        services.AddSingleton<LmtpHost>();
        services.AddHostedService(sp => sp.GetRequiredService<LmtpHost>());

        var token = new ControlToken(Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));
        services.AddSingleton(token);
        services.AddSingleton<AccessStore>();
        services.AddSingleton<AuditLog>();
        services.AddFloodgateWeb(options.Web, options.DataDirectory);
        services.AddFloodgateNotifications(options.Notifications);
        services.AddFloodgateBlocklists(options.Blocklists);
        var app = builder.Build();
        app.MapFloodgateWeb();

        try
        {
            // The embedded SQLite file belongs to this one process: it is created and migrated here, so
            // `floodgate serve` needs no set-up. A shared PostgreSQL is migrated by the operator
            // (`floodgate migrate`), once, not by whichever node starts first.
            if (database.Provider == FloodgateDb.Sqlite)
            {
                await FloodgateDb.InitializeAsync(dbFactory, cancellationToken);
            }
            else
            {
                await FloodgateDb.OpenMigratedAsync(dbFactory, cancellationToken);
            }
        }
        catch (SchemaMismatchException ex)
        {
            await error.WriteLineAsync($"floodgate: {database.Provider} database {database.Redacted}: {ex.Message}");
            await app.DisposeAsync();
            return (null, 2);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await error.WriteLineAsync($"floodgate: cannot open the {database.Provider} database {database.Redacted}: {ex.Message}");
            await app.DisposeAsync();
            return (null, 1);
        }

        LogDatabase(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Floodgate.Storage"), database.Provider, database.Redacted);

        if (options.Accounts.AllowWeakPasswordSchemes)
        {
            LogWeakSchemesAccepted(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Floodgate.Accounts"));
        }

        await FirstAdministrator.EnsureAsync(app.Services.GetRequiredService<AccessStore>(), options.DataDirectory, app.Services.GetRequiredService<ILogger<AccessStore>>(), cancellationToken);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await error.WriteLineAsync($"floodgate: cannot start: {ex.Message}");
            await app.DisposeAsync();
            return (null, 1);
        }

        WriteControlFile(options, app, token.Value);
        return (new RunningServe(app, options), 0);
    }

    /// <summary>Tells the CLI where the running server is, so a change is applied at once.</summary>
    private static void WriteControlFile(FloodgateOptions options, WebApplication app, string token)
    {
        var path = Path.Combine(options.DataDirectory, "serve.json");
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        var url = addresses?.FirstOrDefault() ?? options.Web.Url;
        var smtp = app.Services.GetRequiredService<GatewayHost>().SmtpEndPoints.Select(e => e.ToString()).ToArray();
        var doors = app.Services.GetRequiredService<PostfixDoorsHost>();
        var policy = doors.PolicyEndPoints.Select(e => e.ToString()!).ToArray();
        var milter = doors.MilterEndPoints.Select(e => e.ToString()!).ToArray();
        var lmtp = app.Services.GetRequiredService<LmtpHost>().EndPoints.Select(e => e.ToString()).ToArray();
        var json = JsonSerializer.Serialize(new ControlFile(url, token, Environment.ProcessId, smtp, policy, milter, lmtp), ControlFileJson.Default.ControlFile);
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, json);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Durable state: {Provider} {ConnectionString}")]
    private static partial void LogDatabase(ILogger logger, string provider, string connectionString);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accounts:AllowWeakPasswordSchemes is on: imported SSHA, SHA and MD5-CRYPT hashes are accepted (each is upgraded to Argon2id at its mailbox's next good login)")]
    private static partial void LogWeakSchemesAccepted(ILogger logger);

    internal sealed record ControlFile(string WebUrl, string Token, int Pid, string[] Smtp, string[] Policy, string[] Milter, string[] Lmtp);

    [System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
    [System.Text.Json.Serialization.JsonSerializable(typeof(ControlFile))]
    internal sealed partial class ControlFileJson : System.Text.Json.Serialization.JsonSerializerContext;

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
