using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Lists;

internal sealed class MailingListConfiguration : IEntityTypeConfiguration<MailingList>
{
    public void Configure(EntityTypeBuilder<MailingList> builder)
    {
        builder.ToTable("Lists", t => t.HasCheckConstraint("CK_Lists_Address_Lower", AccountColumns.LowerCheck(nameof(MailingList.Address))));
        builder.Property(l => l.Address).HasMaxLength(AccountColumns.Email);
        builder.HasIndex(l => l.Address).IsUnique();
        builder.Property(l => l.Name).HasMaxLength(AccountColumns.Name);
        builder.Property(l => l.Description).HasMaxLength(2000);
        builder.Property(l => l.Posters).HasMaxLength(4000);
        builder.HasOne<Client>().WithMany().HasForeignKey(l => l.ClientId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Domain>().WithMany().HasForeignKey(l => l.DomainId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(l => l.ClientId);
    }
}

internal sealed class ListMemberConfiguration : IEntityTypeConfiguration<ListMember>
{
    public void Configure(EntityTypeBuilder<ListMember> builder)
    {
        builder.ToTable("ListMembers", t => t.HasCheckConstraint("CK_ListMembers_Address_Lower", AccountColumns.LowerCheck(nameof(ListMember.Address))));
        builder.Property(m => m.Address).HasMaxLength(AccountColumns.Email);
        builder.Property(m => m.RequestMethod).HasMaxLength(20);
        builder.Property(m => m.RequestFrom).HasMaxLength(AccountColumns.Name);
        builder.Property(m => m.RequestUserAgent).HasMaxLength(500);
        builder.Property(m => m.ConfirmMethod).HasMaxLength(20);
        builder.Property(m => m.ConfirmedFrom).HasMaxLength(AccountColumns.Email);
        builder.Property(m => m.ConfirmedUserAgent).HasMaxLength(500);
        builder.Property(m => m.UnsubscribeMethod).HasMaxLength(40);
        builder.HasOne<MailingList>().WithMany().HasForeignKey(m => m.ListId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(m => new { m.ListId, m.Address }).IsUnique();

        // Expansion walks one list's members in id order; pruning finds old pending ones.
        builder.HasIndex(m => new { m.ListId, m.Status, m.Id });
        builder.HasIndex(m => new { m.Status, m.ConfirmationsSent });
    }
}

internal sealed class MemberEventConfiguration : IEntityTypeConfiguration<MemberEvent>
{
    public void Configure(EntityTypeBuilder<MemberEvent> builder)
    {
        builder.ToTable("MemberEvents");
        builder.Property(e => e.Kind).HasMaxLength(40);
        builder.Property(e => e.Detail).HasMaxLength(2000);
        builder.Property(e => e.From).HasMaxLength(AccountColumns.Email);
        builder.Property(e => e.UserAgent).HasMaxLength(500);
        builder.HasOne<ListMember>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.MemberId, e.Id });
    }
}

internal sealed class BounceMessageConfiguration : IEntityTypeConfiguration<BounceMessage>
{
    public void Configure(EntityTypeBuilder<BounceMessage> builder)
    {
        builder.ToTable("BounceMessages");
        builder.Property(b => b.Source).HasMaxLength(20);
        builder.Property(b => b.EnvelopeRecipient).HasMaxLength(AccountColumns.Email);
        builder.Property(b => b.Kind).HasMaxLength(20);
        builder.Property(b => b.Error).HasMaxLength(1000);
        builder.HasIndex(b => b.ReceivedAt);
    }
}

internal sealed class BounceRecordConfiguration : IEntityTypeConfiguration<BounceRecord>
{
    public void Configure(EntityTypeBuilder<BounceRecord> builder)
    {
        builder.ToTable("Bounces");
        builder.Property(b => b.Recipient).HasMaxLength(AccountColumns.Email);
        builder.Property(b => b.Status).HasMaxLength(16);
        builder.Property(b => b.Reason).HasMaxLength(32);
        builder.Property(b => b.Impact).HasMaxLength(20);
        builder.Property(b => b.FeedbackType).HasMaxLength(40);
        builder.Property(b => b.Diagnostic).HasMaxLength(1000);
        builder.HasOne<BounceMessage>().WithMany().HasForeignKey(b => b.BounceMessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(b => new { b.MailboxId, b.ReceivedAt });
        builder.HasIndex(b => new { b.MemberId, b.Id });
    }
}

internal sealed class ListPostConfiguration : IEntityTypeConfiguration<ListPost>
{
    public void Configure(EntityTypeBuilder<ListPost> builder)
    {
        builder.ToTable("ListPosts");
        builder.Property(p => p.Subject).HasMaxLength(1000);
        builder.Property(p => p.MessageId).HasMaxLength(1000);
        builder.Property(p => p.StatusDetail).HasMaxLength(1000);
        builder.HasOne<MailingList>().WithMany().HasForeignKey(p => p.ListId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(p => new { p.Status, p.Id });
        builder.HasIndex(p => new { p.ListId, p.Id });
    }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> builder)
    {
        builder.ToTable("SigningKeys");
        builder.HasKey(k => k.Name);
        builder.Property(k => k.Name).HasMaxLength(64);
    }
}
