using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Complaints;

/// <summary>How a complaint came to name its mailbox (stored by these names).</summary>
public static class Attributions
{
    /// <summary>A CFBL-Feedback-ID in the original message verified with the provider's key.</summary>
    public const string TraceHeader = "trace-header";

    /// <summary>The original Message-ID is in the transaction log, sent by one mailbox.</summary>
    public const string MessageId = "message-id";

    /// <summary>Nothing tied the complaint to a mailbox: kept, shown as such, counted against no one.</summary>
    public const string None = "none";
}

/// <summary>
/// One ARF complaint (RFC 5965) about a message Floodgate relayed, or claimed to be. No foreign keys:
/// like the transaction log, a complaint outlives the accounts it names. <see cref="Note"/> says why it
/// was attributed as it was ("trace header failed verification; attributed by Message-ID").
/// </summary>
public sealed class ComplaintRecord
{
    public long Id { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The report as received, kept with the bounces.</summary>
    public long BounceMessageId { get; set; }

    /// <summary>"lmtp", "http", "cli".</summary>
    public required string Source { get; set; }

    public int? MailboxId { get; set; }

    public string? MailboxAddress { get; set; }

    public int? DomainId { get; set; }

    public int? ClientId { get; set; }

    /// <summary><see cref="Attributions"/>.</summary>
    public required string Attribution { get; set; }

    public required string Note { get; set; }

    /// <summary>RFC 5965 Feedback-Type: abuse, fraud, virus, other, not-spam, ...</summary>
    public required string FeedbackType { get; set; }

    public string? UserAgent { get; set; }

    /// <summary>The reporter: Reporting-MTA, or the Reported-Domain.</summary>
    public string? Reporter { get; set; }

    public string? OriginalMessageId { get; set; }

    public string? OriginalRecipient { get; set; }

    public string? OriginalMailFrom { get; set; }

    public string? SourceIp { get; set; }

    /// <summary>The CFBL-Feedback-ID as the report carried it, verified or not.</summary>
    public string? FeedbackId { get; set; }

    /// <summary>When the message was relayed: the trace header's time, or its transaction's.</summary>
    public DateTimeOffset? RelayedAt { get; set; }
}

internal sealed class ComplaintRecordConfiguration : IEntityTypeConfiguration<ComplaintRecord>
{
    public void Configure(EntityTypeBuilder<ComplaintRecord> builder)
    {
        builder.ToTable("Complaints");
        builder.Property(c => c.Source).HasMaxLength(20);
        builder.Property(c => c.MailboxAddress).HasMaxLength(320);
        builder.Property(c => c.Attribution).HasMaxLength(20);
        builder.Property(c => c.Note).HasMaxLength(500);
        builder.Property(c => c.FeedbackType).HasMaxLength(40);
        builder.Property(c => c.UserAgent).HasMaxLength(255);
        builder.Property(c => c.Reporter).HasMaxLength(255);
        builder.Property(c => c.OriginalMessageId).HasMaxLength(998);
        builder.Property(c => c.OriginalRecipient).HasMaxLength(320);
        builder.Property(c => c.OriginalMailFrom).HasMaxLength(320);
        builder.Property(c => c.SourceIp).HasMaxLength(64);
        builder.Property(c => c.FeedbackId).HasMaxLength(200);
        builder.HasIndex(c => c.ReceivedAt);

        // The rates per mailbox, domain and client over a window, and a mailbox's complaints as evidence.
        builder.HasIndex(c => new { c.MailboxId, c.ReceivedAt });
        builder.HasIndex(c => new { c.ClientId, c.ReceivedAt });
    }
}
