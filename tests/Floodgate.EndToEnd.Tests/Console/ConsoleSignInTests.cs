using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Console;

/// <summary>The first start of a fresh installation, as an operator meets it in a real browser.</summary>
public sealed class ConsoleSignInTests
{
    [Fact]
    public async Task TheFirstAdministratorSignsInWithThePasswordFromTheDataFolder()
    {
        await using var floodgate = new FloodgateProcess();
        await floodgate.StartAsync();
        var password = (await File.ReadAllTextAsync(Path.Combine(floodgate.DataDirectory, "initial-admin-password"))).Trim();
        Assert.DoesNotContain(password, floodgate.Output, StringComparison.Ordinal);

        await using var chromium = await Chromium.LaunchAsync(nameof(TheFirstAdministratorSignsInWithThePasswordFromTheDataFolder));
        var page = await chromium.NewPersonAsync(floodgate.Web);
        await page.GotoAsync("/");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#login", "admin");
        await page.FillAsync("#password", "not the password");
        await page.ClickAsync("button[type=submit]");
        Assert.Contains("not right", await page.InnerTextAsync("[role=alert]"), StringComparison.Ordinal);

        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(u => !u.Contains("/login", StringComparison.Ordinal));
        Assert.Contains("Dashboard", await page.TitleAsync(), StringComparison.Ordinal);
        await chromium.ScreenshotAsync(page, "dashboard");
    }
}
