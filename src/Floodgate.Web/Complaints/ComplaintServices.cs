using Floodgate.Core.Complaints;
using Floodgate.Storage.Complaints;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Complaints;

public static class ComplaintServices
{
    /// <summary>
    /// The feedback loop: the trace header's key and signer, the store, the intake the bounce doors call,
    /// and the detector's complaint reputation (a hosted loop that keeps its rates fresh). Needs the
    /// storage and <see cref="Core.Detection.DetectionOptions"/> registered.
    /// </summary>
    public static IServiceCollection AddFloodgateComplaints(this IServiceCollection services, ComplaintOptions options, string dataDirectory)
    {
        services.AddSingleton(options);
        services.AddSingleton(_ => new FeedbackId(ComplaintKey.LoadOrCreate(options, dataDirectory)));
        services.AddSingleton<ComplaintStore>();
        services.AddSingleton<ComplaintReputation>();
        services.AddHostedService(sp => sp.GetRequiredService<ComplaintReputation>());
        services.AddSingleton(sp => new ComplaintIntake(sp.GetRequiredService<ComplaintStore>(), sp.GetRequiredService<FeedbackId>(), sp.GetRequiredService<ComplaintReputation>()));
        return services;
    }
}
