using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage;

/// <summary>
/// Durable state. Each database provider has its own subclass (<see cref="SqliteFloodgateDbContext"/>,
/// <see cref="PostgresFloodgateDbContext"/>) so each keeps its own migrations; code uses this type only.
/// </summary>
public abstract class FloodgateDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Client> Clients => Set<Client>();

    public DbSet<Domain> Domains => Set<Domain>();

    public DbSet<Mailbox> Mailboxes => Set<Mailbox>();

    public DbSet<Plan> Plans => Set<Plan>();

    public DbSet<StateVersion> StateVersions => Set<StateVersion>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<TransactionRecord> Transactions => Set<TransactionRecord>();

    public DbSet<OffenseRecord> Offenses => Set<OffenseRecord>();

    public DbSet<SuspensionRecord> Suspensions => Set<SuspensionRecord>();

    public DbSet<IncidentRecord> Incidents => Set<IncidentRecord>();

    public DbSet<ContactTaskRecord> ContactTasks => Set<ContactTaskRecord>();

    public DbSet<ContactAttempt> ContactAttempts => Set<ContactAttempt>();

    public DbSet<Access.WebUser> WebUsers => Set<Access.WebUser>();

    public DbSet<Access.ApiKey> ApiKeys => Set<Access.ApiKey>();

    public DbSet<Notifications.NotificationEvent> NotificationEvents => Set<Notifications.NotificationEvent>();

    public DbSet<Notifications.NotificationDelivery> NotificationDeliveries => Set<Notifications.NotificationDelivery>();

    public DbSet<Notifications.DeliveryAttempt> DeliveryAttempts => Set<Notifications.DeliveryAttempt>();

    public DbSet<Notifications.WebhookEndpoint> WebhookEndpoints => Set<Notifications.WebhookEndpoint>();

    public DbSet<Notifications.EmailTemplateRecord> EmailTemplates => Set<Notifications.EmailTemplateRecord>();

    public DbSet<Lists.MailingList> Lists => Set<Lists.MailingList>();

    public DbSet<Lists.ListMember> ListMembers => Set<Lists.ListMember>();

    public DbSet<Lists.MemberEvent> MemberEvents => Set<Lists.MemberEvent>();

    public DbSet<Lists.BounceMessage> BounceMessages => Set<Lists.BounceMessage>();

    public DbSet<Lists.BounceRecord> Bounces => Set<Lists.BounceRecord>();

    public DbSet<Lists.ListPost> ListPosts => Set<Lists.ListPost>();

    public DbSet<Lists.SigningKey> SigningKeys => Set<Lists.SigningKey>();

    public DbSet<Complaints.ComplaintRecord> Complaints => Set<Complaints.ComplaintRecord>();

    public DbSet<Blocklists.BlocklistStateRecord> BlocklistStates => Set<Blocklists.BlocklistStateRecord>();

    public DbSet<Blocklists.BlocklistChangeRecord> BlocklistHistory => Set<Blocklists.BlocklistChangeRecord>();

    /// <summary><see cref="FloodgateDb.Sqlite"/> or <see cref="FloodgateDb.Postgres"/>.</summary>
    public abstract string Provider { get; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new PlanConfiguration());
        modelBuilder.ApplyConfiguration(new ClientConfiguration());
        modelBuilder.ApplyConfiguration(new DomainConfiguration());
        modelBuilder.ApplyConfiguration(new MailboxConfiguration());
        modelBuilder.ApplyConfiguration(new StateVersionConfiguration());
        modelBuilder.ApplyConfiguration(new AuditEntryConfiguration());
        modelBuilder.ApplyConfiguration(new TransactionRecordConfiguration());
        modelBuilder.ApplyConfiguration(new OffenseRecordConfiguration());
        modelBuilder.ApplyConfiguration(new SuspensionRecordConfiguration());
        modelBuilder.ApplyConfiguration(new IncidentRecordConfiguration());
        modelBuilder.ApplyConfiguration(new ContactTaskRecordConfiguration());
        modelBuilder.ApplyConfiguration(new ContactAttemptConfiguration());
        modelBuilder.ApplyConfiguration(new Access.WebUserConfiguration());
        modelBuilder.ApplyConfiguration(new Access.ApiKeyConfiguration());
        modelBuilder.ApplyConfiguration(new Notifications.NotificationEventConfiguration());
        modelBuilder.ApplyConfiguration(new Notifications.NotificationDeliveryConfiguration());
        modelBuilder.ApplyConfiguration(new Notifications.DeliveryAttemptConfiguration());
        modelBuilder.ApplyConfiguration(new Notifications.WebhookEndpointConfiguration());
        modelBuilder.ApplyConfiguration(new Notifications.EmailTemplateConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.MailingListConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.ListMemberConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.MemberEventConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.BounceMessageConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.BounceRecordConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.ListPostConfiguration());
        modelBuilder.ApplyConfiguration(new Lists.SigningKeyConfiguration());
        modelBuilder.ApplyConfiguration(new Complaints.ComplaintRecordConfiguration());
        modelBuilder.ApplyConfiguration(new Blocklists.BlocklistStateConfiguration());
        modelBuilder.ApplyConfiguration(new Blocklists.BlocklistChangeConfiguration());
    }
}

/// <summary>SQLite: times are stored as Unix milliseconds so SQL can compare and order them.</summary>
internal sealed class SqliteFloodgateDbContext(DbContextOptions<SqliteFloodgateDbContext> options) : FloodgateDbContext(options)
{
    public override string Provider => FloodgateDb.Sqlite;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date type; EF would store DateTimeOffset as text it cannot ORDER BY or compare.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
    }
}

/// <summary>PostgreSQL: DateTimeOffset is timestamptz, stored and read back in UTC.</summary>
internal sealed class PostgresFloodgateDbContext(DbContextOptions<PostgresFloodgateDbContext> options) : FloodgateDbContext(options)
{
    public override string Provider => FloodgateDb.Postgres;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Npgsql writes only offset 0 to timestamptz and throws on any other; a time a client sent with
        // its own offset (an API filter, an imported date) is the same instant in UTC, as SQLite's
        // Unix milliseconds keep it. The column type stays timestamptz.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcConverter>();
    }
}

/// <summary>The same instant at offset 0.</summary>
internal sealed class UtcConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, DateTimeOffset>(
    v => v.ToUniversalTime(),
    v => v.ToUniversalTime());
