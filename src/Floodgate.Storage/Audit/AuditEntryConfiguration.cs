using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Audit;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("AuditLog");
        builder.Property(a => a.Actor).HasMaxLength(200);
        builder.Property(a => a.Action).HasMaxLength(100);
        builder.Property(a => a.TargetKind).HasMaxLength(50);
        builder.Property(a => a.Origin).HasMaxLength(64);
        builder.HasIndex(a => a.Time);
        builder.HasIndex(a => new { a.TargetKind, a.TargetId });
    }
}
