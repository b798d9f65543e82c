using System.Diagnostics;
using Floodgate.Storage.Accounts;

namespace Floodgate.Storage.Tests.Passwords;

/// <summary>A corrupt or hostile stored hash is a quick false, never an exception nor a long computation.</summary>
public sealed class HostileHashTests
{
    private const string Salt16 = "c2FsdHNhbHRzYWx0c2FsdA";
    private const string Hash32 = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

    [Theory]
    [InlineData("$argon2id$v=19$m=4194304,t=1,p=1$" + Salt16 + "$" + Hash32, "m = 4 GiB")]
    [InlineData("$argon2id$v=19$m=262144,t=16,p=1$" + Salt16 + "$" + Hash32, "256 MiB × 16 passes is beyond the work bound")]
    [InlineData("$argon2id$v=19$m=65536,t=4294967295,p=1$" + Salt16 + "$" + Hash32, "passes beyond int")]
    [InlineData("$argon2id$v=19$m=65536,t=3,p=255$" + Salt16 + "$" + Hash32, "255 lanes")]
    [InlineData("{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1$" + Salt16 + "$" + Hash32, "m = 4 GiB, imported")]
    [InlineData("{ARGON2I}$argon2i$v=19$m=65536,t=3,p=1$!!!$" + Hash32, "bad Base64 salt")]
    [InlineData("{ARGON2ID}$argon2i$v=19$m=64,t=3,p=1$" + Salt16 + "$" + Hash32, "scheme and hash disagree")]
    [InlineData("$argon2id$v=19$m=65536,t=3,p=1$" + Salt16, "truncated")]
    [InlineData("{SHA512-CRYPT}$6$rounds=999999999$salt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "the spec's maximum rounds")]
    [InlineData("{SHA512-CRYPT}$6$rounds=99999999999999999999$salt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "rounds beyond int")]
    [InlineData("{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoE", "truncated digest")]
    [InlineData("{SHA512-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "a $5$ hash under the SHA512 name")]
    [InlineData("{SHA256-CRYPT}$5$averyveryverylongsaltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "salt beyond 16")]
    [InlineData("{BLF-CRYPT}$2y$31$brFB8vseogGuVz4ZpuMwQ.bWN0c86BN4yUfl5Y2jI.QN8SpUkAS.i", "bcrypt cost 31")]
    [InlineData("{BLF-CRYPT}$2y$05$brFB8vseogGuVz4ZpuMwQ.bWN0c86BN4yUfl5Y2jI.QN8SpUk", "truncated bcrypt")]
    [InlineData("{BLF-CRYPT}$2y$05$brFB8vseogGuVz4ZpuMwQ!bWN0c86BN4yUfl5Y2jI.QN8SpUkAS.i", "bcrypt outside its alphabet")]
    [InlineData("{SSHA512}t4kGkYNHgIhJuoJ4bwZPztfP6aPpXttR8nE3qr0zDz+VFt88KwZlaD6N1Qre", "salted hash shorter than its digest")]
    [InlineData("{SSHA512}not*base64", "bad Base64")]
    [InlineData("{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unol", "bad Base64 length")]
    [InlineData("{SHA1}5en6G6MezRroT3XKqkdPOmY/BfQ=AAAA", "digest plus trailing bytes")]
    [InlineData("{MD5-CRYPT}$1$hr/N.jgO$cHxcVrNzQKvLXOhgdS0Q", "truncated MD5-crypt")]
    [InlineData("{NTLM}8846f7eaee8fb117ad06bdd830b7586c", "unsupported scheme")]
    [InlineData("{SHA512-CRYPT", "no closing brace")]
    [InlineData("{}", "empty scheme")]
    [InlineData("{SHA512-CRYPT}", "empty hash")]
    [InlineData("$2y$05$brFB8vseogGuVz4ZpuMwQ.bWN0c86BN4yUfl5Y2jI.QN8SpUkAS.i", "bare bcrypt: only Argon2id is bare")]
    public void HostileStoredHashIsAQuickFalse(string stored, string reason)
    {
        var hasher = new PasswordHasher();
        var clock = Stopwatch.StartNew();

        Assert.False(hasher.Verify("secret", stored), reason);
        Assert.True(hasher.NeedsRehash(stored), reason);
        Assert.False(PasswordSchemes.TryRead(stored, allowWeak: true, out _, out _, out var error), reason);
        Assert.False(string.IsNullOrEmpty(error), reason);
        Assert.True(clock.ElapsedMilliseconds < 500, $"{reason}: {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void HugeStoredStringIsAQuickFalse()
    {
        var stored = "{SSHA512}" + new string('A', 1_000_000);

        Assert.False(new PasswordHasher().Verify("secret", stored));
    }

    [Fact]
    public void HugePasswordAgainstShaCryptIsAQuickFalse()
    {
        var stored = "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        var clock = Stopwatch.StartNew();

        Assert.False(new PasswordHasher().Verify(new string('x', 100_000), stored));
        Assert.True(clock.ElapsedMilliseconds < 500, $"{clock.ElapsedMilliseconds} ms");
    }
}
