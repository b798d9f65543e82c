using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Floodgate.Storage.Access;

internal sealed class WebUserConfiguration : IEntityTypeConfiguration<WebUser>
{
    public void Configure(EntityTypeBuilder<WebUser> builder)
    {
        builder.ToTable("WebUsers", t => t.HasCheckConstraint("CK_WebUsers_Login_Lower", AccountColumns.LowerCheck("Login")));
        builder.Property(u => u.Login).HasMaxLength(AccountColumns.Email);
        builder.Property(u => u.DisplayName).HasMaxLength(AccountColumns.Name);
        builder.Property(u => u.PasswordHash).HasMaxLength(300);
        builder.Property(u => u.TotpSecret).HasMaxLength(64);
        builder.Property(u => u.SecurityStamp).HasMaxLength(64);
        builder.HasIndex(u => u.Login).IsUnique();
        builder.HasIndex(u => u.ClientId);
        builder.HasOne<Core.Accounts.Client>().WithMany().HasForeignKey(u => u.ClientId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("ApiKeys");
        builder.Property(k => k.Name).HasMaxLength(AccountColumns.Name);
        builder.Property(k => k.SecretHash).HasMaxLength(32);
        builder.Property(k => k.CreatedBy).HasMaxLength(200);
        builder.Property(k => k.RevokedBy).HasMaxLength(200);
        builder.Property(k => k.LastUsedFrom).HasMaxLength(64);
        builder.HasOne<Core.Accounts.Client>().WithMany().HasForeignKey(k => k.ClientId).OnDelete(DeleteBehavior.Restrict);
    }
}
