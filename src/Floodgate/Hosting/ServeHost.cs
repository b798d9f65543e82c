using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Policy;
using Floodgate.Enforcement;
using Floodgate.Gateway;
using Floodgate.Protocols.Smtp;
using Floodgate.Relay;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Floodgate.Hosting;

/// <summary>`floodgate serve`: every front door, the engine, storage and the web endpoints in one process.</summary>
internal static partial class ServeHost
{
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static async Task<int> RunAsync(IConfiguration overrides, string? connectionString, string provider, TextWriter error, CancellationToken cancellationToken)
    {
        // Socket completions run on the socket event thread instead of hopping to the thread pool:
        // 25 % less CPU per relayed message (bench/RESULTS.md, "Runtime settings"). Safe only because no
        // socket continuation of ours blocks: the one slow step, Argon2id at AUTH, goes to the pool
        // (CachingPasswordVerifier). The runtime reads the variable once, at the first socket, which is
        // after this line; an operator's own value (0 to turn it off) wins.
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }

        var options = new FloodgateOptions();
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
                .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "floodgate.json"), optional: true)
                .AddEnvironmentVariables("FLOODGATE_")
                .AddConfiguration(overrides)
                .Build();
            configuration.Bind(options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or JsonException)
        {
            await error.WriteLineAsync($"floodgate: configuration error: {ex.Message}{(ex.InnerException is null ? string.Empty : " (" + ex.InnerException.Message + ")")}");
            return 2;
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

            return 2;
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
        builder.WebHost.UseUrls(options.Web.Url);

        var dbFactory = FloodgateDb.CreateFactory(connectionString ?? options.Database.ConnectionString ?? FloodgateDb.SqliteConnectionString(options.DataDirectory), provider);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(dbFactory);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<TransactionLog>();
        builder.Services.AddSingleton(options.ContactTasks);
        builder.Services.AddSingleton(options.Damages);
        builder.Services.AddSingleton<Floodgate.Storage.Enforcement.EnforcementStore>();
        builder.Services.AddSingleton(sp => new TransactionLogWriter(dbFactory, new TransactionLogWriterOptions(), TimeProvider.System, sp.GetRequiredService<ILogger<TransactionLogWriter>>()));
        builder.Services.AddSingleton<AccountDirectory>();
        builder.Services.AddSingleton<ICounterStore, InProcessCounterStore>();
        builder.Services.AddSingleton(options.Policy);
        builder.Services.AddSingleton(options.Ladder);
        builder.Services.AddSingleton(options.Detection);
        builder.Services.AddSingleton<EnforcementService>();
        builder.Services.AddSingleton(sp => new MassMailDetector(options.Detection, sp.GetRequiredService<EnforcementService>()));
        builder.Services.AddSingleton(sp => new PolicyEngine(
            sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<ICounterStore>(), TimeProvider.System, options.Policy, sp.GetRequiredService<MassMailDetector>()));
        builder.Services.AddSingleton(sp => new LoginThrottle(TimeProvider.System, options.LoginThrottle));
        builder.Services.AddSingleton<IPasswordVerifier, CachingPasswordVerifier>();
        builder.Services.AddSingleton<IMessageRelay>(sp => options.Upstream.Url is null
            ? new OutboxRelay(Path.Combine(options.DataDirectory, "outbox"))
            : new SmtpUpstreamRelay(options.Upstream, sp.GetRequiredService<ILogger<SmtpUpstreamRelay>>()));
        builder.Services.AddSingleton(sp => new GatewayLog(sp.GetRequiredService<TransactionLogWriter>()));
        builder.Services.AddSingleton<GatewayServices>();
        builder.Services.AddSingleton<StateRefresher>();
        builder.Services.AddSingleton<Explainer>();
        builder.Services.AddSingleton<GatewayHost>();
        builder.Services.AddSingleton<IHealthSource>(sp => sp.GetRequiredService<GatewayHost>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GatewayHost>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StateRefresher>());
        builder.Services.AddHostedService<OffenseWriter>();

        // Postfix front doors (src/Floodgate/Postfix): after GatewayHost, which loads the account directory.
        builder.Services.AddSingleton(sp => new Postfix.PostfixLog(sp.GetRequiredService<TransactionLogWriter>()));
        builder.Services.AddSingleton<Postfix.PostfixDoorsHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Postfix.PostfixDoorsHost>());

        await using var app = builder.Build();
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        app.MapHealthApi();
        app.MapMetrics("/metrics");
        app.MapPost("/internal/refresh", async (HttpContext http, StateRefresher refresher, CancellationToken ct) =>
        {
            if (!IsLocalControl(http, token))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            var version = await refresher.RefreshAsync(ct);
            return Results.Ok(new { version });
        });

        app.MapGet("/internal/explain/{mailbox}", (HttpContext http, string mailbox, Explainer explainer) =>
        {
            if (!IsLocalControl(http, token))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            return explainer.Explain(mailbox) is { } report ? Results.Ok(report) : Results.NotFound();
        });

        try
        {
            await FloodgateDb.InitializeAsync(dbFactory, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await error.WriteLineAsync($"floodgate: cannot open the database: {ex.Message}");
            return 1;
        }

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await error.WriteLineAsync($"floodgate: cannot start: {ex.Message}");
            return 1;
        }

        WriteControlFile(options, app, token);
        await app.WaitForShutdownAsync(cancellationToken);
        TryDelete(Path.Combine(options.DataDirectory, "serve.json"));
        return 0;
    }

    private static bool IsLocalControl(HttpContext http, string token)
    {
        var remote = http.Connection.RemoteIpAddress;
        return remote is not null && IPAddress.IsLoopback(remote)
            && http.Request.Headers.TryGetValue("X-Floodgate-Token", out var given)
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(given.ToString()), System.Text.Encoding.ASCII.GetBytes(token));
    }

    /// <summary>Tells the CLI where the running server is, so a change is applied at once.</summary>
    private static void WriteControlFile(FloodgateOptions options, WebApplication app, string token)
    {
        var path = Path.Combine(options.DataDirectory, "serve.json");
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        var url = addresses?.FirstOrDefault() ?? options.Web.Url;
        var smtp = app.Services.GetRequiredService<GatewayHost>().SmtpEndPoints.Select(e => e.ToString()).ToArray();
        var doors = app.Services.GetRequiredService<Postfix.PostfixDoorsHost>();
        var policy = doors.PolicyEndPoints.Select(e => e.ToString()!).ToArray();
        var milter = doors.MilterEndPoints.Select(e => e.ToString()!).ToArray();
        var json = JsonSerializer.Serialize(new ControlFile(url, token, Environment.ProcessId, smtp, policy, milter), ControlFileJson.Default.ControlFile);
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, json);
    }

    internal sealed record ControlFile(string WebUrl, string Token, int Pid, string[] Smtp, string[] Policy, string[] Milter);

    [System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
    [System.Text.Json.Serialization.JsonSerializable(typeof(ControlFile))]
    internal sealed partial class ControlFileJson : System.Text.Json.Serialization.JsonSerializerContext;

    private static void TryDelete(string path)
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
