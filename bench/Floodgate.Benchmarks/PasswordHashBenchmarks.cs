using System.Text;
using BenchmarkDotNet.Attributes;
using Floodgate.Storage.Accounts;
using Isopoh.Cryptography.Argon2;
using Isopoh.Cryptography.SecureArray;

namespace Floodgate.Benchmarks;

/// <summary>
/// Issue 13: one Argon2id hash at Floodgate's default cost (OWASP: m=19456 KiB, t=2, p=1, 16-byte
/// salt, 32-byte hash) through each candidate library. Same inputs, same output length.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class Argon2ImplementationBenchmarks
{
    private const int MemoryKiB = 19_456;
    private const int Iterations = 2;
    private readonly byte[] _password = Encoding.UTF8.GetBytes("correct horse battery staple");
    private readonly byte[] _salt = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private readonly byte[] _output = new byte[32];

    [Benchmark(Baseline = true)]
    public byte[] Konscious()
    {
        using var argon = new Konscious.Security.Cryptography.Argon2id(_password)
        {
            Salt = _salt,
            MemorySize = MemoryKiB,
            Iterations = Iterations,
            DegreeOfParallelism = 1,
        };
        return argon.GetBytes(32);
    }

    [Benchmark]
    public byte Isopoh()
    {
        var config = new Argon2Config
        {
            Type = Argon2Type.HybridAddressing,
            Version = Argon2Version.Nineteen,
            TimeCost = Iterations,
            MemoryCost = MemoryKiB,
            Lanes = 1,
            Threads = 1,
            Password = _password,
            Salt = _salt,
            HashLength = 32,
        };
        using var argon = new Argon2(config);
        using SecureArray<byte> hash = argon.Hash();
        return hash[0];
    }

    [Benchmark]
    public byte LibsodiumGeralt()
    {
        Geralt.Argon2id.DeriveKey(_output, _password, _salt, Iterations, MemoryKiB * 1024);
        return _output[0];
    }
}

/// <summary>
/// Issue 13: <see cref="PasswordHasher.Verify"/> of one stored hash per scheme, each at the cost
/// Dovecot's <c>doveadm pw</c> uses by default (hashes made by doveadm, password "secret").
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class PasswordVerifyBenchmarks
{
    private readonly PasswordHasher _hasher = new();
    private string _floodgate = string.Empty;

    [ParamsSource(nameof(Schemes))]
    public string Scheme { get; set; } = string.Empty;

    public static IEnumerable<string> Schemes() =>
    [
        "FLOODGATE", "ARGON2ID", "ARGON2I", "SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "MD5-CRYPT", "SSHA512", "SHA512",
    ];

    [GlobalSetup]
    public void Setup() => _floodgate = _hasher.Hash("secret");

    [Benchmark]
    public bool Verify() => _hasher.Verify("secret", Scheme switch
    {
        "FLOODGATE" => _floodgate,
        "ARGON2ID" => "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$rPUDgpyVFxpGshCJc6Bs7Q$IztrSdaon2KpADW3THaHxeOAwTDcJSHaaou+ndur4qI",
        "ARGON2I" => "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$TG8KLiAveIO8+Z4geAH47w$mZKsUK1/8gtmFl7sGfgS2RPjscRROI6bDbaec8LulRM",
        "SHA512-CRYPT" => "{SHA512-CRYPT}$6$KC8D0BKYndqbVGQJ$vsjGqAfLSfZvOLpYDR6WsVxXYYUDggy7/qXnlltn/1nOR0TuRdUYMdnWUJZ8ypP9OqtOksl7D10f3h3/3Ouvv.",
        "SHA256-CRYPT" => "{SHA256-CRYPT}$5$Xj2eZ9owBVGbCcVe$UDlQOOC7jx6EdEZcFc766HpdgdN8s5fyKa/E17U8.f0",
        "BLF-CRYPT" => "{BLF-CRYPT}$2y$05$brFB8vseogGuVz4ZpuMwQ.bWN0c86BN4yUfl5Y2jI.QN8SpUkAS.i",
        "MD5-CRYPT" => "{MD5-CRYPT}$1$hr/N.jgO$cHxcVrNzQKvLXOhgdS0QP.",
        "SSHA512" => "{SSHA512}t4kGkYNHgIhJuoJ4bwZPztfP6aPpXttR8nE3qr0zDz+VFt88KwZlaD6N1QreOFDiARC1+ajsSTJeRJ0IqJDIuM7ZCxE=",
        _ => "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==",
    });
}
