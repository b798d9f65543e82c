using System.Diagnostics;
using System.Globalization;
using System.Text;
using Isopoh.Cryptography.Argon2;
using Isopoh.Cryptography.SecureArray;

namespace Floodgate.Benchmarks;

/// <summary>
/// Issue 13: memory under parallel hashing. One thread per core hashes Argon2id at Floodgate's
/// default cost (m=19456 KiB, t=2, p=1) through one implementation for a few seconds; prints the
/// hashes per second, the peak RSS (VmHWM, so run one implementation per process), the managed
/// bytes allocated and the gen-2 collections.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project bench/Floodgate.Benchmarks -- password-memory konscious|isopoh|libsodium [seconds]</c>.</remarks>
internal static class PasswordHashMemory
{
    public static int Run(string[] args)
    {
        var implementation = args.Length > 0 ? args[0] : "libsodium";
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        Func<byte[], byte[], byte> hash = implementation switch
        {
            "konscious" => Konscious,
            "isopoh" => Isopoh,
            "libsodium" => Libsodium,
            _ => throw new ArgumentException("konscious, isopoh or libsodium", nameof(args)),
        };

        var rssBefore = Status("VmRSS");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gen2Before = GC.CollectionCount(2);
        var count = 0L;
        var until = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, Environment.ProcessorCount).Select(i => new Thread(() =>
        {
            var password = Encoding.UTF8.GetBytes("correct horse battery staple " + i.ToString(CultureInfo.InvariantCulture));
            var salt = new byte[16];
            while (until.Elapsed.TotalSeconds < seconds)
            {
                salt[0]++;
                hash(password, salt);
                Interlocked.Increment(ref count);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var elapsed = until.Elapsed.TotalSeconds;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{implementation}: {Environment.ProcessorCount} threads, {count} hashes in {elapsed:F1} s = {count / elapsed:F1}/s; "
            + $"RSS before {rssBefore / 1024} MiB, peak {Status("VmHWM") / 1024} MiB; "
            + $"managed allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / count / 1024} KiB per hash; gen-2 collections {GC.CollectionCount(2) - gen2Before}"));
        return 0;
    }

    private static byte Konscious(byte[] password, byte[] salt)
    {
        using var argon = new Konscious.Security.Cryptography.Argon2id(password)
        {
            Salt = salt,
            MemorySize = 19_456,
            Iterations = 2,
            DegreeOfParallelism = 1,
        };
        return argon.GetBytes(32)[0];
    }

    private static byte Isopoh(byte[] password, byte[] salt)
    {
        var config = new Argon2Config
        {
            Type = Argon2Type.HybridAddressing,
            Version = Argon2Version.Nineteen,
            TimeCost = 2,
            MemoryCost = 19_456,
            Lanes = 1,
            Threads = 1,
            Password = password,
            Salt = salt,
            HashLength = 32,
        };
        using var argon = new Argon2(config);
        using SecureArray<byte> hash = argon.Hash();
        return hash[0];
    }

    private static byte Libsodium(byte[] password, byte[] salt)
    {
        Span<byte> output = stackalloc byte[32];
        Geralt.Argon2id.DeriveKey(output, password, salt, 2, 19_456 * 1024);
        return output[0];
    }

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
