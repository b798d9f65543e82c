using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Gateway;

/// <summary>One running `floodgate serve` relaying to an upstream sink, shared by tests that do not change accounts.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public FloodgateProcess Floodgate { get; } = new();

    public UpstreamSink Sink { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sink = await UpstreamSink.StartAsync();
        await Floodgate.SeedAsync("bob@acme.test");
        await Floodgate.StartAsync("--upstream", Sink.Url);
    }

    public async Task DisposeAsync()
    {
        await Floodgate.DisposeAsync();
        await Sink.DisposeAsync();
    }

    /// <summary>Drops messages a previous test left in the sink.</summary>
    public void DrainSink()
    {
        while (Sink.Messages.TryDequeue(out _))
        {
        }
    }
}
