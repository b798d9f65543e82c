using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Access;

/// <summary>A new console or portal account. <paramref name="ClientId"/> is required for a client administrator and refused for an operator.</summary>
public sealed record NewWebUser(string Login, string DisplayName, WebRole Role, string Password, int? ClientId = null);

/// <summary>An API key as shown: never its secret.</summary>
public sealed record ApiKeyView(int Id, string Name, WebRole Role, int? ClientId, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? LastUsedAt, string? LastUsedFrom, DateTimeOffset? RevokedAt, string? RevokedBy)
{
    internal static ApiKeyView Of(ApiKey k) => new(k.Id, k.Name, k.Role, k.ClientId, k.CreatedAt, k.CreatedBy, k.LastUsedAt, k.LastUsedFrom, k.RevokedAt, k.RevokedBy);
}

/// <summary>An API key just made: <see cref="Token"/> is shown once and never stored.</summary>
public sealed record CreatedApiKey(ApiKeyView Key, string Token);

/// <summary>A web account as shown: never its hash or second-factor secret.</summary>
public sealed record WebUserView(int Id, string Login, string DisplayName, WebRole Role, int? ClientId, bool Disabled, bool HasTotp, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt)
{
    internal static WebUserView Of(WebUser u) => new(u.Id, u.Login, u.DisplayName, u.Role, u.ClientId, u.Disabled, u.TotpSecret is not null, u.CreatedAt, u.LastLoginAt);
}

/// <summary>
/// Operator and client-administrator accounts and API keys. Passwords are Argon2id (the mailboxes'
/// <see cref="PasswordHasher"/>); API key secrets are 256 random bits, stored as SHA-256. Every change
/// is audited in its own database transaction. Refusals throw <see cref="AccountException"/>.
/// </summary>
public sealed class AccessStore(IDbContextFactory<FloodgateDbContext> dbFactory, PasswordHasher hasher, TimeProvider time)
{
    public const string ApiKeyPrefix = "fgk_";
    public const int MinPasswordLength = 12;
    private const int SecretBytes = 32;

    // Verifying against this when the login is unknown keeps the answer's time the same: an unknown
    // login must not be told apart from a wrong password by how fast it fails.
    private readonly Lazy<string> _dummyHash = new(() => hasher.Hash(Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));

    // ---- web users

    public async Task<WebUserView> AddUserAsync(NewWebUser user, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var errors = new List<string>();
        var login = NormalizeLogin(user.Login);
        if (login.Length is 0 or > AccountColumns.Email || login.Any(char.IsWhiteSpace))
            errors.Add("the login must be 1 to 320 characters without spaces");
        if (string.IsNullOrWhiteSpace(user.DisplayName) || user.DisplayName.Trim().Length > AccountColumns.Name)
            errors.Add($"the display name must be 1 to {AccountColumns.Name} characters");
        if (!Enum.IsDefined(user.Role))
            errors.Add($"unknown role {user.Role}");
        if (user.Role == WebRole.ClientAdministrator && user.ClientId is null)
            errors.Add("a client administrator needs a client");
        if (user.Role != WebRole.ClientAdministrator && user.ClientId is not null)
            errors.Add("only a client administrator belongs to a client");
        CheckPassword(user.Password, errors);
        ThrowIfAny(errors, "The account was not created");

        var hash = await Task.Run(() => hasher.Hash(user.Password), cancellationToken).ConfigureAwait(false);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (user.ClientId is { } clientId && !await db.Clients.AnyAsync(c => c.Id == clientId, cancellationToken))
            throw new AccountException(AccountError.NotFound, $"There is no client {clientId}.");
        if (await db.Set<WebUser>().AnyAsync(u => u.Login == login, cancellationToken))
            throw new AccountException(AccountError.Conflict, $"The login \"{login}\" is taken.");
        var now = time.GetUtcNow();
        var entity = new WebUser
        {
            Login = login,
            DisplayName = user.DisplayName.Trim(),
            Role = user.Role,
            ClientId = user.ClientId,
            PasswordHash = hash,
            SecurityStamp = NewStamp(),
            CreatedAt = now,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new AccountException(AccountError.Conflict, $"The login \"{login}\" is taken.");
        }

        db.AuditEntries.Add(AccountStore.NewAuditEntry(now, actor, "user.add", "user", entity.Id, new { login, role = user.Role.ToString(), client = user.ClientId }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WebUserView.Of(entity);
    }

    public async Task<bool> AnyUserAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<WebUser>().AnyAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebUserView>> ListUsersAsync(int? clientId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Set<WebUser>().AsNoTracking();
        if (clientId is not null)
            query = query.Where(u => u.ClientId == clientId);
        return (await query.OrderBy(u => u.Login).ToListAsync(cancellationToken)).Select(WebUserView.Of).ToList();
    }

    public async Task<WebUser?> FindUserAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<WebUser>().AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
    }

    /// <summary>The account of a login (any case); null when there is none.</summary>
    public async Task<WebUser?> FindUserAsync(string login, CancellationToken cancellationToken = default)
    {
        var normalized = NormalizeLogin(login);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<WebUser>().AsNoTracking().FirstOrDefaultAsync(u => u.Login == normalized, cancellationToken);
    }

    /// <summary>
    /// The account when the password is right and the account is enabled; null otherwise, in about the
    /// same time either way. The second factor is the caller's next step (<see cref="VerifyTotp"/>).
    /// </summary>
    public async Task<WebUser?> VerifyPasswordAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        login = NormalizeLogin(login);
        WebUser? user;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            user = await db.Set<WebUser>().AsNoTracking().FirstOrDefaultAsync(u => u.Login == login, cancellationToken);
        }

        var stored = user?.PasswordHash ?? _dummyHash.Value;
        var ok = await Task.Run(() => hasher.Verify(password ?? string.Empty, stored), cancellationToken).ConfigureAwait(false);
        return ok && user is { Disabled: false } ? user : null;
    }

    /// <summary>RFC 6238 with the usual 30-second step, six digits, one step of clock drift either way.</summary>
    public bool VerifyTotp(WebUser user, string? code)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.TotpSecret is null)
            return true;
        if (string.IsNullOrWhiteSpace(code))
            return false;
        var totp = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(user.TotpSecret), timeCorrection: new OtpNet.TimeCorrection(time.GetUtcNow().UtcDateTime));
        return totp.VerifyTotp(code.Trim().Replace(" ", string.Empty, StringComparison.Ordinal), out _, new OtpNet.VerificationWindow(1, 1));
    }

    /// <summary>A sign-in: the account's last login, and an audit row (who signed in from where, with or without a second factor).</summary>
    public async Task RecordLoginAsync(int userId, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var user = await db.Set<WebUser>().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
            return;
        user.LastLoginAt = now;
        db.AuditEntries.Add(AccountStore.NewAuditEntry(now, actor, "session.sign-in", "user", user.Id, new { login = user.Login, totp = user.TotpSecret is not null }));
        await db.SaveChangesAsync(cancellationToken);
    }

    public Task SetPasswordAsync(int userId, string password, string actor, CancellationToken cancellationToken = default)
    {
        var errors = new List<string>();
        CheckPassword(password, errors);
        ThrowIfAny(errors, "The password was not changed");
        return ChangeUserAsync(userId, actor, "user.password", null, u => { u.PasswordHash = hasher.Hash(password); return new { login = u.Login }; }, cancellationToken);
    }

    public async Task SetRoleAsync(int userId, WebRole role, int? clientId, string actor, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(role) || (role == WebRole.ClientAdministrator) != (clientId is not null))
            throw new AccountException(AccountError.Invalid, "The role was not changed: a client administrator needs a client, and only a client administrator has one.");
        if (clientId is { } c)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (!await db.Clients.AnyAsync(x => x.Id == c, cancellationToken))
                throw new AccountException(AccountError.NotFound, $"There is no client {c}.");
        }

        await ChangeUserAsync(userId, actor, "user.role", role == WebRole.Administrator ? null : "demoted", u =>
        {
            var details = new { login = u.Login, from = u.Role.ToString(), to = role.ToString(), client = clientId };
            (u.Role, u.ClientId) = (role, clientId);
            return details;
        }, cancellationToken);
    }

    public Task SetDisabledAsync(int userId, bool disabled, string actor, CancellationToken cancellationToken = default) =>
        ChangeUserAsync(userId, actor, disabled ? "user.disable" : "user.enable", disabled ? "disabled" : null, u => { u.Disabled = disabled; return new { login = u.Login }; }, cancellationToken);

    /// <summary>A new Base32 secret for an authenticator app; the account needs the code from then on.</summary>
    public async Task<string> EnableTotpAsync(int userId, string actor, CancellationToken cancellationToken = default)
    {
        var secret = OtpNet.Base32Encoding.ToString(RandomNumberGenerator.GetBytes(20));
        await ChangeUserAsync(userId, actor, "user.totp.enable", null, u => { u.TotpSecret = secret; return new { login = u.Login }; }, cancellationToken);
        return secret;
    }

    public Task DisableTotpAsync(int userId, string actor, CancellationToken cancellationToken = default) =>
        ChangeUserAsync(userId, actor, "user.totp.disable", null, u => { u.TotpSecret = null; return new { login = u.Login }; }, cancellationToken);

    /// <param name="losesAdministrator">
    /// Set when the change may leave the account no enabled administrator ("demoted", "disabled"): refused
    /// for the last enabled administrator, since nobody could manage accounts and keys after it.
    /// </param>
    private async Task ChangeUserAsync(int userId, string actor, string action, string? losesAdministrator, Func<WebUser, object> change, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await db.Set<WebUser>().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw new AccountException(AccountError.NotFound, $"There is no user {userId}.");
        if (losesAdministrator is not null && user is { Role: WebRole.Administrator, Disabled: false }
            && !await db.Set<WebUser>().AnyAsync(u => u.Id != userId && u.Role == WebRole.Administrator && !u.Disabled, cancellationToken))
        {
            throw new AccountException(AccountError.Conflict, $"{user.Login} is the last enabled administrator and cannot be {losesAdministrator}: make another administrator first.");
        }

        var details = change(user);
        user.SecurityStamp = NewStamp();
        db.AuditEntries.Add(AccountStore.NewAuditEntry(time.GetUtcNow(), actor, action, "user", user.Id, details));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    // ---- API keys

    public async Task<CreatedApiKey> CreateApiKeyAsync(string name, WebRole role, int? clientId, string actor, CancellationToken cancellationToken = default)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > AccountColumns.Name)
            errors.Add($"the name must be 1 to {AccountColumns.Name} characters");
        if (!Enum.IsDefined(role))
            errors.Add($"unknown role {role}");
        if ((role == WebRole.ClientAdministrator) != (clientId is not null))
            errors.Add("a client administrator's key needs a client, and only such a key has one");
        ThrowIfAny(errors, "The API key was not created");

        var secret = RandomNumberGenerator.GetBytes(SecretBytes);
        var secretText = Convert.ToBase64String(secret).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (clientId is { } c && !await db.Clients.AnyAsync(x => x.Id == c, cancellationToken))
            throw new AccountException(AccountError.NotFound, $"There is no client {c}.");
        var now = time.GetUtcNow();
        var key = new ApiKey
        {
            Name = name.Trim(),
            Role = role,
            ClientId = clientId,
            SecretHash = SHA256.HashData(Encoding.ASCII.GetBytes(secretText)),
            CreatedAt = now,
            CreatedBy = actor,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        db.AuditEntries.Add(AccountStore.NewAuditEntry(now, actor, "api-key.create", "api-key", key.Id, new { name = key.Name, role = role.ToString(), client = clientId }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CreatedApiKey(ApiKeyView.Of(key), string.Create(CultureInfo.InvariantCulture, $"{ApiKeyPrefix}{key.Id}_{secretText}"));
    }

    /// <summary>The key a token names when the secret matches and the key is not revoked; null otherwise. Never throws on input.</summary>
    public async Task<ApiKey?> VerifyApiKeyAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (!TryParseToken(token, out var id, out var secret))
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var key = await db.Set<ApiKey>().AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        var given = SHA256.HashData(Encoding.ASCII.GetBytes(secret));
        return key is { RevokedAt: null } && CryptographicOperations.FixedTimeEquals(given, key.SecretHash) ? key : null;
    }

    /// <summary>Records the key's last use (the caller limits how often: a write per request would be a database write per API call).</summary>
    public async Task TouchApiKeyAsync(int id, string? from, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await db.Set<ApiKey>().Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now).SetProperty(k => k.LastUsedFrom, from), cancellationToken);
    }

    public async Task<ApiKeyView?> FindApiKeyAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Set<ApiKey>().AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken) is { } key ? ApiKeyView.Of(key) : null;
    }

    public async Task<IReadOnlyList<ApiKeyView>> ListApiKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.Set<ApiKey>().AsNoTracking().OrderBy(k => k.Id).ToListAsync(cancellationToken)).Select(ApiKeyView.Of).ToList();
    }

    public async Task<ApiKeyView> RevokeApiKeyAsync(int id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var key = await db.Set<ApiKey>().FirstOrDefaultAsync(k => k.Id == id, cancellationToken)
            ?? throw new AccountException(AccountError.NotFound, $"There is no API key {id}.");
        if (key.RevokedAt is null)
        {
            key.RevokedAt = time.GetUtcNow();
            key.RevokedBy = actor;
            db.AuditEntries.Add(AccountStore.NewAuditEntry(key.RevokedAt.Value, actor, "api-key.revoke", "api-key", key.Id, new { name = key.Name }));
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return ApiKeyView.Of(key);
    }

    internal static bool TryParseToken(string? token, out int id, out string secret)
    {
        id = 0;
        secret = string.Empty;
        if (token is null || token.Length > 100 || !token.StartsWith(ApiKeyPrefix, StringComparison.Ordinal))
            return false;
        var rest = token.AsSpan(ApiKeyPrefix.Length);
        var underscore = rest.IndexOf('_');
        if (underscore <= 0 || !int.TryParse(rest[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out id))
            return false;
        secret = rest[(underscore + 1)..].ToString();
        return secret.Length > 0;
    }

    public static string NormalizeLogin(string? login) => (login ?? string.Empty).Trim().ToLowerInvariant();

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static void CheckPassword(string? password, List<string> errors)
    {
        if (password is null || password.Length < MinPasswordLength)
            errors.Add($"the password must be at least {MinPasswordLength} characters");
        else if (password.Length > 1024)
            errors.Add("the password must be at most 1024 characters");
    }

    private static void ThrowIfAny(List<string> errors, string what)
    {
        if (errors.Count > 0)
            throw new AccountException(AccountError.Invalid, $"{what}: {string.Join("; ", errors)}.", errors);
    }
}
