using Floodgate.Hosting;
using Floodgate.Storage.Accounts;

namespace Floodgate.Storage.Tests;

/// <summary>The gateway's AUTH check: Argon2id off the caller's thread, successes remembered.</summary>
public sealed class CachingPasswordVerifierTests
{
    // The real cost (19 MiB, 2 passes): a hash takes milliseconds, so a miss cannot finish inline.
    private static readonly PasswordHasher Hasher = new();
    private static readonly string Stored = Hasher.Hash("correct horse");

    [Fact]
    public async Task AMissReturnsBeforeTheHashIsDoneAndThenSucceeds()
    {
        var verifier = new CachingPasswordVerifier(Hasher, TimeProvider.System);

        var check = verifier.VerifyAsync("correct horse", Stored, CancellationToken.None);

        // Completed here would mean Argon2id ran on the caller's (socket event) thread.
        Assert.False(check.IsCompleted);
        Assert.True(await check);
    }

    [Fact]
    public async Task ASecondCheckOfTheSamePasswordIsAnsweredFromTheCacheAtOnce()
    {
        var verifier = new CachingPasswordVerifier(Hasher, TimeProvider.System);
        Assert.True(await verifier.VerifyAsync("correct horse", Stored, CancellationToken.None));

        var again = verifier.VerifyAsync("correct horse", Stored, CancellationToken.None);

        Assert.True(again.IsCompletedSuccessfully);
        Assert.True(await again);
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedAndNeverCached()
    {
        var verifier = new CachingPasswordVerifier(Hasher, TimeProvider.System);
        Assert.True(await verifier.VerifyAsync("correct horse", Stored, CancellationToken.None));

        var wrong = verifier.VerifyAsync("wrong horse", Stored, CancellationToken.None);

        Assert.False(wrong.IsCompleted);
        Assert.False(await wrong);
        Assert.False(await verifier.VerifyAsync("wrong horse", Stored, CancellationToken.None));
    }
}
