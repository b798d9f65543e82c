using Floodgate.Hosting;
using Floodgate.Storage.Accounts;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>
/// The AUTH cache remembers a successful check keyed by the stored hash and the password: a new
/// password (a new hash) leaves nothing in it that accepts the old one.
/// </summary>
public sealed class CachingPasswordVerifierTests
{
    private readonly PasswordHasher _hasher = new(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 });
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task AHitIsAnsweredWithoutTheKdf()
    {
        var verifier = new CachingPasswordVerifier(_hasher, _time);
        var hash = _hasher.Hash("the old password");
        Assert.True(await verifier.VerifyAsync("the old password", hash, CancellationToken.None));

        var again = verifier.VerifyAsync("the old password", hash, CancellationToken.None);

        // Answered synchronously: from the cache (a miss runs Argon2id on the thread pool).
        Assert.True(again.IsCompletedSuccessfully);
        Assert.True(await again);
    }

    [Fact]
    public async Task AfterANewPasswordTheCachedOldOneIsRefused()
    {
        var verifier = new CachingPasswordVerifier(_hasher, _time);
        var oldHash = _hasher.Hash("the old password");
        Assert.True(await verifier.VerifyAsync("the old password", oldHash, CancellationToken.None));
        var newHash = _hasher.Hash("a brand new passphrase");

        // Not a hit: the key holds the stored hash, so the check runs against the new hash, and fails.
        Assert.False(await verifier.VerifyAsync("the old password", newHash, CancellationToken.None));
        Assert.True(await verifier.VerifyAsync("a brand new passphrase", newHash, CancellationToken.None));
    }
}
