using Floodgate.Core.Complaints;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Complaints;

/// <summary>The Complaints settings at start, and the trace header's key across a restart.</summary>
public sealed class ComplaintSettingsTests
{
    [Fact]
    public async Task ABadComplaintSettingStopsServeBeforeAnyPortOpensNamingIt()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServe.StartAsync(new Dictionary<string, string?>
        {
            ["Complaints:Address"] = "fbl at provider",
            ["Complaints:HoldRate"] = "0.01",
            ["Complaints:OffenseRate"] = "0.005",
        }));
        Assert.Contains("Complaints:Address: 'fbl at provider' is not an e-mail address", e.Message, StringComparison.Ordinal);
        Assert.Contains("Complaints:OffenseRate: must be above HoldRate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheGeneratedKeyIsKeptSoATraceHeaderFromBeforeARestartStillVerifies()
    {
        var data = Path.Combine(Path.GetTempPath(), "floodgate-web-" + Guid.NewGuid().ToString("N")[..12]);
        var kept = Path.GetTempFileName();
        string value;
        await using (var first = await TestServe.StartAsync(dataDirectory: data))
        {
            value = first.Get<FeedbackId>().Create(17, DateTimeOffset.UtcNow);
            var key = new FileInfo(Path.Combine(data, "complaints.key"));
            Assert.True(key.Exists);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key.FullName));
            // The test's DisposeAsync deletes the data folder: the key is carried to the next one as a restart finds it.
            File.Copy(key.FullName, kept, overwrite: true);
        }

        var restarted = data + "-restarted";
        Directory.CreateDirectory(restarted);
        File.Move(kept, Path.Combine(restarted, "complaints.key"), overwrite: true);
        await using var second = await TestServe.StartAsync(dataDirectory: restarted);
        Assert.Equal(FeedbackIdCheck.Valid, second.Get<FeedbackId>().Verify(value, out var reference));
        Assert.Equal(17, reference.MailboxId);
    }
}
