using Floodgate.Core.Blocklists;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Blocklists;

/// <summary>
/// What the watch knows now of one address (or sending domain) in one zone. Only a listed or clear
/// answer sets <see cref="State"/>; a round that could not check the pair writes only
/// <see cref="LastAttemptAt"/> and <see cref="LastError"/>, so "not checked" never reads as clean.
/// </summary>
public sealed class BlocklistStateRecord
{
    public long Id { get; set; }

    /// <summary>The address or domain as configured (Blocklists:Addresses, Blocklists:Domains).</summary>
    public required string Subject { get; set; }

    /// <summary>The zone's name, lower case.</summary>
    public required string Zone { get; set; }

    /// <summary>Listed or Clear; null until a round got an answer for the pair.</summary>
    public BlocklistState? State { get; set; }

    /// <summary>The A record of a listing (127.0.0.2); null when clear.</summary>
    public string? Code { get; set; }

    /// <summary>The zone's TXT text for a listing.</summary>
    public string? Reason { get; set; }

    public string? DelistingUrl { get; set; }

    /// <summary>Since when the state has been what it is (the round that first saw it).</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>The last round that got an answer (listed or clear).</summary>
    public DateTimeOffset? LastCheckedAt { get; set; }

    /// <summary>The last round that asked, answered or not.</summary>
    public DateTimeOffset LastAttemptAt { get; set; }

    /// <summary>Why the last attempt was not an answer; null when it was.</summary>
    public string? LastError { get; set; }

    /// <summary>The last blocklist.listed or blocklist.delisted of the pair: suppression counts from it.</summary>
    public DateTimeOffset? LastAlertAt { get; set; }

    /// <summary>Whether the abuse desk was told the current state (false while a re-listing is suppressed).</summary>
    public bool Announced { get; set; }
}

/// <summary>One change of a pair's state, alerted or suppressed. A first round that finds a pair clear is not a change.</summary>
public sealed class BlocklistChangeRecord
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Subject { get; set; }

    public required string Zone { get; set; }

    /// <summary>Null: the first answer for the pair.</summary>
    public BlocklistState? From { get; set; }

    public BlocklistState To { get; set; }

    public string? Code { get; set; }

    public string? Reason { get; set; }

    public string? DelistingUrl { get; set; }

    /// <summary>The change would have been alerted but came within Blocklists:AlertSuppression of the pair's last alert.</summary>
    public bool Suppressed { get; set; }

    /// <summary>The event raised: blocklist.listed or blocklist.delisted; null when none was.</summary>
    public string? Event { get; set; }
}

/// <summary>Column sizes: a DNS name is at most 253 characters; a TXT reason is cut to what a person reads.</summary>
internal static class BlocklistColumns
{
    public const int Name = 253;
    public const int Code = 45;
    public const int Reason = 1000;
    public const int Url = 500;
    public const int Error = 500;
}

internal sealed class BlocklistStateConfiguration : IEntityTypeConfiguration<BlocklistStateRecord>
{
    public void Configure(EntityTypeBuilder<BlocklistStateRecord> builder)
    {
        builder.ToTable("BlocklistStates");
        builder.Property(s => s.Subject).HasMaxLength(BlocklistColumns.Name);
        builder.Property(s => s.Zone).HasMaxLength(BlocklistColumns.Name);
        builder.Property(s => s.Code).HasMaxLength(BlocklistColumns.Code);
        builder.Property(s => s.Reason).HasMaxLength(BlocklistColumns.Reason);
        builder.Property(s => s.DelistingUrl).HasMaxLength(BlocklistColumns.Url);
        builder.Property(s => s.LastError).HasMaxLength(BlocklistColumns.Error);
        builder.HasIndex(s => new { s.Subject, s.Zone }).IsUnique();
    }
}

internal sealed class BlocklistChangeConfiguration : IEntityTypeConfiguration<BlocklistChangeRecord>
{
    public void Configure(EntityTypeBuilder<BlocklistChangeRecord> builder)
    {
        builder.ToTable("BlocklistHistory");
        builder.Property(c => c.Subject).HasMaxLength(BlocklistColumns.Name);
        builder.Property(c => c.Zone).HasMaxLength(BlocklistColumns.Name);
        builder.Property(c => c.Code).HasMaxLength(BlocklistColumns.Code);
        builder.Property(c => c.Reason).HasMaxLength(BlocklistColumns.Reason);
        builder.Property(c => c.DelistingUrl).HasMaxLength(BlocklistColumns.Url);
        builder.Property(c => c.Event).HasMaxLength(40);

        // The timeline is read newest first by id; a pair's history by its names.
        builder.HasIndex(c => new { c.Subject, c.Zone, c.Id });
    }
}
