using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Notifications;

internal static class NotificationColumns
{
    public const int Type = 64;
    public const int DedupeKey = 200;
    public const int Url = 2000;
    public const int Description = 200;
    public const int Secret = 100;
    public const int EventTypes = 2000;
    public const int Error = 2000;
    public const int Reply = 1000;
    public const int Actor = 200;
    public const int TemplateSubject = 300;
    public const int TemplateBody = 20_000;
}

internal sealed class NotificationEventConfiguration : IEntityTypeConfiguration<NotificationEvent>
{
    public void Configure(EntityTypeBuilder<NotificationEvent> builder)
    {
        builder.ToTable("NotificationEvents");
        builder.Property(e => e.Type).HasMaxLength(NotificationColumns.Type);
        builder.Property(e => e.DedupeKey).HasMaxLength(NotificationColumns.DedupeKey);
        builder.HasOne<Client>().WithMany().HasForeignKey(e => e.ClientId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(e => e.EventId).IsUnique();
        builder.HasIndex(e => e.DedupeKey).IsUnique();

        // The dispatcher reads the events not fanned out yet; lists filter by type or client.
        builder.HasIndex(e => e.FannedOutAt);
        builder.HasIndex(e => new { e.Type, e.Id });
        builder.HasIndex(e => new { e.ClientId, e.Id });
    }
}

internal sealed class NotificationDeliveryConfiguration : IEntityTypeConfiguration<NotificationDelivery>
{
    public void Configure(EntityTypeBuilder<NotificationDelivery> builder)
    {
        builder.ToTable("NotificationDeliveries");
        builder.Property(d => d.Recipient).HasMaxLength(AccountColumns.Email);
        builder.Property(d => d.LastError).HasMaxLength(NotificationColumns.Error);
        builder.HasOne<NotificationEvent>().WithMany().HasForeignKey(d => d.NotificationEventId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(d => d.EndpointId).OnDelete(DeleteBehavior.Restrict);

        // The dispatcher's poll: pending rows by due time.
        builder.HasIndex(d => new { d.State, d.NextAttemptAt });
        builder.HasIndex(d => d.NotificationEventId);
        builder.HasIndex(d => new { d.EndpointId, d.Id });
    }
}

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<DeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<DeliveryAttempt> builder)
    {
        builder.ToTable("DeliveryAttempts");
        builder.Property(a => a.Reply).HasMaxLength(NotificationColumns.Reply);
        builder.Property(a => a.Error).HasMaxLength(NotificationColumns.Error);
        builder.HasOne<NotificationDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(a => new { a.DeliveryId, a.Id });
        builder.HasIndex(a => new { a.EndpointId, a.Id });
    }
}

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> builder)
    {
        builder.ToTable("WebhookEndpoints");
        builder.Property(w => w.Url).HasMaxLength(NotificationColumns.Url);
        builder.Property(w => w.Description).HasMaxLength(NotificationColumns.Description);
        builder.Property(w => w.Secret).HasMaxLength(NotificationColumns.Secret);
        builder.Property(w => w.PreviousSecret).HasMaxLength(NotificationColumns.Secret);
        builder.Property(w => w.EventTypes).HasMaxLength(NotificationColumns.EventTypes);
        builder.Property(w => w.CreatedBy).HasMaxLength(NotificationColumns.Actor);
    }
}

internal sealed class EmailTemplateConfiguration : IEntityTypeConfiguration<EmailTemplateRecord>
{
    public void Configure(EntityTypeBuilder<EmailTemplateRecord> builder)
    {
        builder.ToTable("EmailTemplates");
        builder.HasKey(t => t.EventType);
        builder.Property(t => t.EventType).HasMaxLength(NotificationColumns.Type);
        builder.Property(t => t.Subject).HasMaxLength(NotificationColumns.TemplateSubject);
        builder.Property(t => t.Body).HasMaxLength(NotificationColumns.TemplateBody);
        builder.Property(t => t.UpdatedBy).HasMaxLength(NotificationColumns.Actor);
    }
}
