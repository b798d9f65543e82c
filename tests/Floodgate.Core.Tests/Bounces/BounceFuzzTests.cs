using Floodgate.Core.Bounces;

namespace Floodgate.Core.Tests.Bounces;

/// <summary>The classifier never throws on input: every fixture, mangled the ways transport and bad MTAs mangle mail.</summary>
public sealed class BounceFuzzTests
{
    [Fact]
    public void MangledFixturesGiveReportsNeverExceptions()
    {
        var random = new Random(20261204);
        var cases = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Bounces", "Messages"), "*.eml"))
        {
            var original = File.ReadAllBytes(file);
            for (var i = 0; i < 40; i++)
            {
                var bytes = (byte[])original.Clone();
                switch (i % 4)
                {
                    case 0: // truncated anywhere, boundaries and all
                        bytes = bytes[..random.Next(bytes.Length)];
                        break;
                    case 1: // random bytes overwritten, NULs and 8-bit included
                        for (var j = 0; j < 1 + (bytes.Length / 50); j++)
                            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                        break;
                    case 2: // line ends lost or doubled
                        for (var j = 0; j < bytes.Length; j++)
                        {
                            if (bytes[j] == '\n' && random.Next(3) == 0)
                                bytes[j] = (byte)(random.Next(2) == 0 ? ' ' : '\r');
                        }

                        break;
                    default: // a chunk duplicated into the middle
                        var at = random.Next(bytes.Length);
                        var length = random.Next(bytes.Length - at);
                        bytes = [.. bytes[..at], .. bytes[at..(at + length)], .. bytes[at..]];
                        break;
                }

                var ok = BounceClassifier.TryClassify(bytes, out var report);

                Assert.NotNull(report);
                Assert.True(ok || report.Error is not null, Path.GetFileName(file));
                cases++;
            }
        }

        Assert.True(cases > 1000);
    }
}
