using System.Text;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Accounts.Passwords;

namespace Floodgate.Storage.Tests.Passwords;

/// <summary>The fast path (libsodium through Geralt) checked against the managed reference (Konscious) on every run.</summary>
public sealed class Argon2EquivalenceTests
{
    [Theory]
    [InlineData(8, 1, 16, "libsodium's smallest memory")]
    [InlineData(64, 3, 32, "a cheap test cost")]
    [InlineData(19_456, 2, 32, "Floodgate's default (OWASP)")]
    [InlineData(1024, 1, 64, "a longer output")]
    public void LibsodiumAndKonsciousAgreeForOneLane(int memoryKiB, int iterations, int length, string reason)
    {
        var salt = Enumerable.Range(0, 16).Select(i => (byte)(i * 7)).ToArray();
        const string password = "correct horse ß battery";

        var fast = Argon2Phc.Compute(argon2id: true, password, salt, memoryKiB, iterations, 1, length);
        using var reference = new Konscious.Security.Cryptography.Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = 1,
        };

        Assert.Equal(reference.GetBytes(length), fast);
        Assert.True(memoryKiB >= 8, reason);
    }

    [Theory]
    [InlineData(2, 16, "two lanes: libsodium has only one")]
    [InlineData(1, 12, "a 12-byte salt: libsodium takes only 16")]
    public void HashesLibsodiumCannotComputeStillVerify(int parallelism, int saltBytes, string reason)
    {
        var hasher = new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1, Parallelism = parallelism, SaltBytes = saltBytes });
        var hash = hasher.Hash("correct horse");

        Assert.Contains(FormattableString.Invariant($",p={parallelism}$"), hash, StringComparison.Ordinal);
        Assert.True(hasher.Verify("correct horse", hash), reason);
        Assert.True(new PasswordHasher().Verify("correct horse", hash), reason);
        Assert.False(hasher.Verify("correct horsE", hash), reason);
    }
}
