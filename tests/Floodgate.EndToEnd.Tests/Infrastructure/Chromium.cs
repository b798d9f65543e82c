using Microsoft.Playwright;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (the driver ships in the NuGet package; `playwright install`
/// is neither possible nor needed here). Screenshots go to artifacts/e2e/ at the repository root, kept
/// after the run.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private Chromium(IPlaywright playwright, IBrowser browser, string artifacts)
    {
        Playwright = playwright;
        Browser = browser;
        Artifacts = artifacts;
    }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    public string Artifacts { get; }

    public static async Task<Chromium> LaunchAsync(string testName)
    {
        // A missing browser is a failure, never a skip: .ci/run installs the package.
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: apt-get install chromium (test.sh does)");
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true });
        var artifacts = Path.Combine(RepositoryRoot(), "artifacts", "e2e", testName);
        Directory.CreateDirectory(artifacts);
        return new Chromium(playwright, browser, artifacts);
    }

    /// <summary>A fresh browser profile (its own cookies): one person.</summary>
    public async Task<IPage> NewPersonAsync(Uri baseUrl)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = baseUrl.ToString().TrimEnd('/'), ViewportSize = new() { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Floodgate.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
