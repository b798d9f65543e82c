using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Transactions;

internal sealed class TransactionRecordConfiguration : IEntityTypeConfiguration<TransactionRecord>
{
    public void Configure(EntityTypeBuilder<TransactionRecord> builder)
    {
        // No foreign keys: the log outlives the accounts it mentions, and inserts stay cheap.
        builder.ToTable("TransactionLog");
        builder.Property(t => t.FrontDoor).HasMaxLength(20);
        builder.Property(t => t.Verdict).HasConversion<string>().HasMaxLength(20);
        // Rows written before the column existed were all counted. The sentinel: EF would otherwise
        // take false (the CLR default) for "not set" and insert the column default, true.
        builder.Property(t => t.Counted).HasDefaultValue(true).HasSentinel(true);
        builder.HasIndex(t => t.Time);
        builder.HasIndex(t => new { t.MailboxAddress, t.Time });

        // The console's and API's filters: a mailbox's or a client's transactions, newest first.
        builder.HasIndex(t => new { t.MailboxId, t.Time });
        builder.HasIndex(t => new { t.ClientId, t.Time });
        builder.Property(t => t.Subject).HasMaxLength(200);

        // A complaint whose trace header was stripped is attributed by its original Message-ID.
        builder.HasIndex(t => t.MessageId);
    }
}
