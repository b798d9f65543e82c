using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Enforcement;

internal static class EnforcementColumns
{
    public const int Actor = 200;
    public const int Source = 20;
    public const int Note = 4000;

    /// <summary>Each part of the client's report.</summary>
    public const int ReportPart = 20_000;
}

internal sealed class OffenseRecordConfiguration : IEntityTypeConfiguration<OffenseRecord>
{
    public void Configure(EntityTypeBuilder<OffenseRecord> builder)
    {
        builder.ToTable("Offenses");
        builder.Property(o => o.MailboxAddress).HasMaxLength(AccountColumns.Email);
        builder.Property(o => o.Source).HasMaxLength(EnforcementColumns.Source);
        builder.Property(o => o.Reason).HasMaxLength(AccountColumns.Reason);
        builder.HasOne<Client>().WithMany().HasForeignKey(o => o.ClientId).OnDelete(DeleteBehavior.Restrict);

        // The ladder at start reads (client, time); LoadAllOffenseTimesAsync reads by time.
        builder.HasIndex(o => new { o.ClientId, o.At });
        builder.HasIndex(o => o.At);
        builder.HasIndex(o => o.Key).IsUnique();
    }
}

internal sealed class SuspensionRecordConfiguration : IEntityTypeConfiguration<SuspensionRecord>
{
    public void Configure(EntityTypeBuilder<SuspensionRecord> builder)
    {
        builder.ToTable("Suspensions");
        builder.Ignore(s => s.IsActive);
        builder.Property(s => s.TargetName).HasMaxLength(AccountColumns.Email);
        builder.Property(s => s.Reason).HasMaxLength(AccountColumns.Reason);
        builder.Property(s => s.LiftReason).HasMaxLength(AccountColumns.Reason);
        builder.Property(s => s.StartedBy).HasMaxLength(EnforcementColumns.Actor);
        builder.Property(s => s.LiftedBy).HasMaxLength(EnforcementColumns.Actor);
        builder.HasOne<OffenseRecord>().WithMany().HasForeignKey(s => s.OffenseId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => new { s.Scope, s.TargetId });
    }
}

internal sealed class IncidentRecordConfiguration : IEntityTypeConfiguration<IncidentRecord>
{
    public void Configure(EntityTypeBuilder<IncidentRecord> builder)
    {
        builder.ToTable("Incidents");
        builder.Ignore(i => i.IsOpen);
        builder.Ignore(i => i.Report);
        builder.Property(i => i.ClosedBy).HasMaxLength(EnforcementColumns.Actor);
        builder.Property(i => i.CloseNote).HasMaxLength(EnforcementColumns.Note);
        builder.Property(i => i.ReportMechanism).HasMaxLength(EnforcementColumns.ReportPart);
        builder.Property(i => i.ReportStepsTaken).HasMaxLength(EnforcementColumns.ReportPart);
        builder.Property(i => i.ReportClientPolicy).HasMaxLength(EnforcementColumns.ReportPart);
        builder.Property(i => i.ReportSubmittedBy).HasMaxLength(EnforcementColumns.Actor);
        builder.Property(i => i.ReviewNote).HasMaxLength(EnforcementColumns.Note);
        builder.Property(i => i.ReviewedBy).HasMaxLength(EnforcementColumns.Actor);
        builder.Property(i => i.ReinstatedBy).HasMaxLength(EnforcementColumns.Actor);
        builder.HasOne<Client>().WithMany().HasForeignKey(i => i.ClientId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<OffenseRecord>().WithMany().HasForeignKey(i => i.OffenseId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(i => i.OffenseId).IsUnique();
        builder.HasIndex(i => new { i.State, i.OpenedAt });
        builder.HasIndex(i => i.ClientId);
    }
}

internal sealed class ContactTaskRecordConfiguration : IEntityTypeConfiguration<ContactTaskRecord>
{
    public void Configure(EntityTypeBuilder<ContactTaskRecord> builder)
    {
        builder.ToTable("ContactTasks");
        builder.Property(t => t.ContactName).HasMaxLength(AccountColumns.Name);
        builder.Property(t => t.ContactPhone).HasMaxLength(AccountColumns.Phone);
        builder.Property(t => t.ContactEmail).HasMaxLength(AccountColumns.Email);
        builder.Property(t => t.Notes).HasMaxLength(EnforcementColumns.Note);
        builder.Property(t => t.DoneBy).HasMaxLength(EnforcementColumns.Actor);
        builder.HasOne<IncidentRecord>().WithMany().HasForeignKey(t => t.IncidentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(t => t.Attempts).WithOne().HasForeignKey(a => a.ContactTaskId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(t => new { t.DoneAt, t.DueAt });
        builder.HasIndex(t => t.IncidentId);
    }
}

internal sealed class ContactAttemptConfiguration : IEntityTypeConfiguration<ContactAttempt>
{
    public void Configure(EntityTypeBuilder<ContactAttempt> builder)
    {
        builder.ToTable("ContactAttempts");
        builder.Property(a => a.Notes).HasMaxLength(EnforcementColumns.Note);
        builder.Property(a => a.By).HasMaxLength(EnforcementColumns.Actor);
    }
}
