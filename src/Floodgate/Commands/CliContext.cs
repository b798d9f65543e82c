using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Floodgate.Storage;
using Microsoft.EntityFrameworkCore;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;

namespace Floodgate.Commands;

/// <summary>The options every command shares: where the data is and how to print. Add them to the root once.</summary>
internal sealed class CliOptions
{
    public Option<string> Data { get; } = new("--data")
    {
        Description = "Data folder; the SQLite database is <data>/floodgate.db",
        DefaultValueFactory = _ => FloodgateDb.DefaultDataDirectory,
        Recursive = true,
    };

    public Option<string?> Db { get; } = new("--db")
    {
        Description = "Database connection string (overrides --data)",
        Recursive = true,
    };

    public Option<string> Provider { get; } = new("--db-provider")
    {
        Description = "Database provider: sqlite or postgresql (default: Database:Provider, else sqlite)",
        DefaultValueFactory = _ => FloodgateDb.Sqlite,
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON instead of a table",
        Recursive = true,
    };

    /// <summary>Standard input as bytes (a message to ingest); tests replace it.</summary>
    public Func<Stream> StdinBytes { get; set; } = Console.OpenStandardInput;

    /// <summary>Where --password-stdin reads; tests replace it.</summary>
    public Func<TextReader> Stdin { get; set; } = () => Console.In;

    /// <summary>The enforcement store's clock (contact task overdue); tests replace it.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Argon2id cost for new hashes; tests lower it.</summary>
    public PasswordHashOptions PasswordHashing { get; set; } = new();

    /// <summary>The <c>Accounts</c> settings (weak hash schemes at import); null: read as serve reads them (floodgate.json, FLOODGATE_*). Tests set it.</summary>
    public AccountOptions? Accounts { get; set; }

    public static CliOptions AddTo(RootCommand root)
    {
        var options = new CliOptions();
        root.Options.Add(options.Data);
        root.Options.Add(options.Db);
        root.Options.Add(options.Provider);
        root.Options.Add(options.Json);
        return options;
    }

    public string ConnectionString(ParseResult parseResult) => Database(parseResult).ConnectionString;

    /// <summary>
    /// The database a command opens: --db and --db-provider when given, else the Database section of the
    /// configuration serve reads (floodgate.json, FLOODGATE_*), else the SQLite file in --data.
    /// </summary>
    public Hosting.ResolvedDatabase Database(ParseResult parseResult)
    {
        var explicitProvider = parseResult.GetResult(Provider) is { Implicit: false } ? parseResult.GetValue(Provider) : null;
        var explicitDb = parseResult.GetValue(Db) is { Length: > 0 } db ? db : null;
        var settings = new Hosting.DatabaseOptions();
        if (explicitProvider is null || explicitDb is null)
        {
            try
            {
                Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(Hosting.FloodgateConfiguration.Build().GetSection("Database"), settings);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or JsonException)
            {
                throw new CliException($"configuration error: {ex.Message}");
            }
        }

        try
        {
            return settings.Resolve(explicitDb, explicitProvider, parseResult.GetValue(Data) ?? FloodgateDb.DefaultDataDirectory);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }
    }
}

/// <summary>One command's view of the store, opened (and migrated) per invocation.</summary>
internal sealed class CliContext
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new Floodgate.Storage.Enforcement.OutcomeJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private CliContext(CliOptions options, ParseResult parseResult, AccountStore store, EnforcementStore enforcement, TransactionLog transactions, AuditLog audit, AccessStore access, IDbContextFactory<FloodgateDbContext> factory)
    {
        _factory = factory;
        Access = access;
        Options = options;
        ParseResult = parseResult;
        Store = store;
        Enforcement = enforcement;
        Transactions = transactions;
        Audit = audit;
        Json = parseResult.GetValue(options.Json);
        Out = parseResult.InvocationConfiguration.Output;
        Error = parseResult.InvocationConfiguration.Error;
    }

    private readonly IDbContextFactory<FloodgateDbContext> _factory;
    private Floodgate.Storage.Lists.ListStore? _lists;

    public CliOptions Options { get; }

    /// <summary>Hosted lists, with the hygiene settings serve reads (Lists:Hygiene).</summary>
    public Floodgate.Storage.Lists.ListStore Lists => _lists ??= new Floodgate.Storage.Lists.ListStore(_factory, Options.Time, LoadSection<Floodgate.Core.Lists.HygieneOptions>("Lists:Hygiene"));

    private Floodgate.Web.Complaints.ComplaintIntake? _complaints;

    /// <summary>Complaints, attributed with the key serve uses (Complaints:SigningKey, or complaints.key in the data folder).</summary>
    public Floodgate.Web.Complaints.ComplaintIntake Complaints => _complaints ??= new Floodgate.Web.Complaints.ComplaintIntake(
        new Floodgate.Storage.Complaints.ComplaintStore(_factory, Options.Time),
        new Floodgate.Core.Complaints.FeedbackId(Floodgate.Web.Complaints.ComplaintKey.LoadOrCreate(
            LoadSection<Floodgate.Core.Complaints.ComplaintOptions>("Complaints"), ParseResult.GetValue(Options.Data) ?? FloodgateDb.DefaultDataDirectory)));

    /// <summary>The <c>Accounts</c> settings this invocation runs with.</summary>
    public AccountOptions Accounts => Options.Accounts ??= LoadAccounts();

    public ParseResult ParseResult { get; }

    public AccountStore Store { get; }

    public EnforcementStore Enforcement { get; }

    public TransactionLog Transactions { get; }

    public AuditLog Audit { get; }

    /// <summary>Console and portal accounts, API keys.</summary>
    public AccessStore Access { get; }

    public bool Json { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Who the audit log names: the Unix user running the CLI.</summary>
    public static string Actor => "cli:" + Environment.UserName;

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T Get<T>(Argument<T> argument) => ParseResult.GetValue(argument)!;

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>The data folder (where a running server leaves serve.json).</summary>
    public string DataDirectory => ParseResult.GetValue(Options.Data) ?? FloodgateDb.DefaultDataDirectory;

    /// <summary>
    /// <see cref="Run"/> for a command that changes state: after it succeeds, a running server is told
    /// at once (<see cref="ServerNotifier"/>) instead of at its next StateVersion poll.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> RunChange(CliOptions options, Func<CliContext, CancellationToken, Task> body) =>
        Run(options, async (cli, cancellationToken) =>
        {
            await body(cli, cancellationToken);
            await ServerNotifier.NotifyAsync(cli.DataDirectory, cancellationToken);
        });

    /// <summary>
    /// Wraps a command body: opens the store, maps refusals to a message on stderr and an exit code
    /// (2 invalid input, 3 not found, 4 already exists or not allowed in the current state; System.CommandLine's own usage errors are 1).
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Run(CliOptions options, Func<CliContext, CancellationToken, Task> body) =>
        async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                var database = options.Database(parseResult);
                var factory = FloodgateDb.CreateFactory(database.ConnectionString, database.Provider);
                await OpenAsync(factory, database, cancellationToken);
                var hasher = new PasswordHasher(options.PasswordHashing);
                var context = new CliContext(
                    options, parseResult,
                    new AccountStore(factory, hasher, TimeProvider.System),
                    new EnforcementStore(factory, options.Time, new ContactTaskOptions(), new DamagesOptions(), hasher),
                    new TransactionLog(factory),
                    new AuditLog(factory, options.Time),
                    new AccessStore(factory, hasher, options.Time),
                    factory);
                await body(context, cancellationToken);
                return 0;
            }
            catch (AccountException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                foreach (var detail in ex.Details)
                    await error.WriteLineAsync("  " + detail);
                return ex.Error switch
                {
                    AccountError.NotFound => 3,
                    AccountError.Conflict => 4,
                    _ => 2,
                };
            }
            catch (EnforcementException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                foreach (var detail in ex.Details)
                    await error.WriteLineAsync("  " + detail);
                return ex.Error switch
                {
                    EnforcementError.NotFound => 3,
                    EnforcementError.Conflict => 4,
                    _ => 2,
                };
            }
            catch (CliException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                return 2;
            }
            catch (SchemaMismatchException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                return 2;
            }
        };

    /// <summary>
    /// SQLite is migrated by whichever command opens it (the embedded default needs no set-up step);
    /// PostgreSQL only by `floodgate migrate`, so a shared database is never changed behind its servers' backs.
    /// </summary>
    private static Task OpenAsync(IDbContextFactory<FloodgateDbContext> factory, Hosting.ResolvedDatabase database, CancellationToken cancellationToken) =>
        database.Provider == FloodgateDb.Sqlite
            ? FloodgateDb.InitializeAsync(factory, cancellationToken)
            : FloodgateDb.OpenMigratedAsync(factory, cancellationToken);

    private static T LoadSection<T>(string section)
        where T : new()
    {
        var value = new T();
        try
        {
            Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(Hosting.FloodgateConfiguration.Build().GetSection(section), value);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or JsonException)
        {
            throw new CliException($"configuration error: {ex.Message}");
        }

        return value;
    }

    private static AccountOptions LoadAccounts()
    {
        var accounts = new AccountOptions();
        try
        {
            Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(Hosting.FloodgateConfiguration.Build().GetSection("Accounts"), accounts);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or JsonException)
        {
            throw new CliException($"configuration error: {ex.Message}");
        }

        return accounts;
    }
}

/// <summary>Bad command-line input found after parsing (e.g. an unreadable file).</summary>
internal sealed class CliException(string message) : Exception(message);
