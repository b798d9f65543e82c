using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Shared;

/// <summary>
/// The console's style sheet and script, embedded in the assembly: `serve` runs from its build output
/// with no web root or static-asset manifest, and the console needs no build step or CDN.
/// </summary>
public static class Assets
{
    private static readonly Dictionary<string, (byte[] Body, string Type)> Files = Load();

    public static IEndpointRouteBuilder MapAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/{name}", (string name, HttpContext http) =>
        {
            if (!Files.TryGetValue(name, out var file))
                return Results.NotFound();
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(file.Body, file.Type);
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(Assets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            const string prefix = "Floodgate.Web.Assets.";
            if (!resource.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var name = resource[prefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name] = (memory.ToArray(), type);
        }

        return files;
    }
}
