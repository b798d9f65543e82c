using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Hosting;

/// <summary>A started `serve`: its web application, settings and bound endpoints. Disposing stops it.</summary>
internal sealed class RunningServe(WebApplication app, FloodgateOptions options) : IAsyncDisposable
{
    public WebApplication App { get; } = app;

    public FloodgateOptions Options { get; } = options;

    public IServiceProvider Services => App.Services;

    public Uri Web => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public IReadOnlyList<IPEndPoint> Smtp => App.Services.GetRequiredService<GatewayHost>().SmtpEndPoints;

    public IReadOnlyList<IPEndPoint> Lmtp => App.Services.GetRequiredService<LmtpHost>().EndPoints;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
            ServeHost.TryDelete(Path.Combine(Options.DataDirectory, "serve.json"));
        }
    }
}
