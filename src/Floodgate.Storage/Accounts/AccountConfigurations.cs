using Floodgate.Core.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Accounts;

internal static class AccountColumns
{
    public const int Name = 200;
    public const int Phone = 40;
    public const int Email = 320;    // RFC 5321 4.5.3.1: 64 local + @ + 255 domain
    public const int DomainName = 253;
    public const int Reason = 1000;

    // Lower-case is the invariant that makes the unique indexes mean "unique ignoring case".
    // lower() exists in SQLite and PostgreSQL alike; addresses are lower-cased before they get here.
    public static string LowerCheck(string column) => $"\"{column}\" = lower(\"{column}\")";
}

internal sealed class PlanConfiguration : IEntityTypeConfiguration<Plan>
{
    public void Configure(EntityTypeBuilder<Plan> builder)
    {
        builder.Property(p => p.Name).HasMaxLength(AccountColumns.Name);
        builder.HasIndex(p => p.Name).IsUnique();
        builder.ComplexProperty(p => p.Limits, limits =>
        {
            limits.ComplexProperty(l => l.Mailbox);
            limits.ComplexProperty(l => l.Domain);
            limits.ComplexProperty(l => l.Client);
        });
    }
}

internal sealed class ClientConfiguration : IEntityTypeConfiguration<Client>
{
    public void Configure(EntityTypeBuilder<Client> builder)
    {
        builder.Property(c => c.Name).HasMaxLength(AccountColumns.Name);
        builder.HasIndex(c => c.Name).IsUnique();
        builder.Property(c => c.ContactName).HasMaxLength(AccountColumns.Name);
        builder.Property(c => c.ContactPhone).HasMaxLength(AccountColumns.Phone);
        builder.Property(c => c.ContactEmail).HasMaxLength(AccountColumns.Email);
        builder.Property(c => c.StatusReason).HasMaxLength(AccountColumns.Reason);
        builder.HasOne(c => c.Plan).WithMany().HasForeignKey(c => c.PlanId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(c => c.Domains).WithOne(d => d.Client).HasForeignKey(d => d.ClientId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class DomainConfiguration : IEntityTypeConfiguration<Domain>
{
    public void Configure(EntityTypeBuilder<Domain> builder)
    {
        builder.ToTable(t => t.HasCheckConstraint("CK_Domains_Name_Lower", AccountColumns.LowerCheck(nameof(Domain.Name))));
        builder.Property(d => d.Name).HasMaxLength(AccountColumns.DomainName);
        builder.HasIndex(d => d.Name).IsUnique();
        builder.Property(d => d.StatusReason).HasMaxLength(AccountColumns.Reason);
        builder.HasMany(d => d.Mailboxes).WithOne(m => m.Domain).HasForeignKey(m => m.DomainId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class MailboxConfiguration : IEntityTypeConfiguration<Mailbox>
{
    public void Configure(EntityTypeBuilder<Mailbox> builder)
    {
        builder.ToTable(t => t.HasCheckConstraint("CK_Mailboxes_Address_Lower", AccountColumns.LowerCheck(nameof(Mailbox.Address))));
        builder.Property(m => m.Address).HasMaxLength(AccountColumns.Email);
        builder.HasIndex(m => m.Address).IsUnique();
        builder.Property(m => m.DisplayName).HasMaxLength(AccountColumns.Name);
        builder.Property(m => m.PasswordHash).HasMaxLength(512);
        builder.Property(m => m.ImportedHashDigest).HasMaxLength(64);
        builder.Property(m => m.AllowedSenders).HasMaxLength(4000);
        builder.Property(m => m.StatusReason).HasMaxLength(AccountColumns.Reason);
    }
}

internal sealed class StateVersionConfiguration : IEntityTypeConfiguration<StateVersion>
{
    public void Configure(EntityTypeBuilder<StateVersion> builder)
    {
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.HasData(new StateVersion { Id = StateVersion.SingletonId, Version = 0 });
    }
}
