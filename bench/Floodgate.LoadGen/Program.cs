using System.Globalization;
using System.Net;
using System.Text.Json;
using Floodgate.EndToEnd.Tests.Bounds;
using Floodgate.LoadGen.Policy;
using Floodgate.LoadGen.Reporting;

namespace Floodgate.LoadGen;

internal static class Program
{
    private const string Usage = """
        Floodgate.LoadGen: Postfix policy delegation load

          policy --target 127.0.0.1:10040 [--concurrency 8] [--duration 15] [--warmup 2]
                 [--mailboxes 10000] [--recipients 5] [--size 5120] [--server-pid PID]
                 [--label NAME] [--out results.jsonl] [--seed 1]
              Persistent connections, one outstanding request each, for a fixed duration.
              Exit code 1 when any error or malformed reply was seen.
          noop --listen 127.0.0.1:10049
              A no-op responder (action=DUNNO to everything) until SIGTERM or Ctrl+C.
          noop-milter --listen 127.0.0.1:10051 [--steps same|eom-only]
              A milter that reads every message and does nothing with it (bench/load/milter.sh).
              same: the steps Floodgate's milter asks for; eom-only: every step Postfix can leave
              out is left out, only end of message is sent and answered.
          smtp-bounds --target 127.0.0.1:2525 --sender sender@bench.test [--recipient rcpt@sink.test]
                 [--connections 2000] [--size 30000000] [--server-pid PID] [--timeout 600]
                 [--rss-limit-mb 0]
              Every connection one big MIME message, all in DATA at once, then streamed together
              (bench/load/bounds.sh). One JSON line: replies by code, octets sent, times, and
              the server's VmRSS (idle before, with every connection in DATA, sampled peak) and
              VmHWM. The load stops when the server's VmRSS passes --rss-limit-mb (0: no limit).
              Exit code 1 when any connection ended in neither 250 nor 452 4.3.1.
          report --in results.jsonl [--baseline postfwd] [--ceiling noop]
              Markdown table of a results file with ratios at each concurrency.
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        Dictionary<string, string> options;
        try
        {
            options = ParseOptions(args.AsSpan(1));
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });

        try
        {
            return args[0] switch
            {
                "policy" => await RunPolicyAsync(options, stop.Token),
                "noop" => await RunNoopAsync(options, stop.Token),
                "noop-milter" => await RunNoopMilterAsync(options, stop.Token),
                "smtp-bounds" => await RunSmtpBoundsAsync(options, stop.Token),
                "report" => Report(options),
                _ => Fail($"unknown mode '{args[0]}'\n{Usage}"),
            };
        }
        catch (FormatException e)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<int> RunPolicyAsync(Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        var load = new PolicyLoadOptions(
            Endpoint(Required(options, "target")),
            Number(options, "concurrency", 8),
            TimeSpan.FromSeconds(Number(options, "warmup", 2)),
            TimeSpan.FromSeconds(Number(options, "duration", 15)),
            Number(options, "mailboxes", 10_000),
            Number(options, "recipients", 5),
            Number(options, "size", 5120),
            Number(options, "server-pid", 0),
            Number(options, "seed", 1));
        var label = options.GetValueOrDefault("label", load.Target.ToString());
        var result = await new PolicyLoad(load).RunAsync(cancellationToken);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label} c={load.Concurrency}: {result.RequestsPerSecond:N0} requests/s ({result.Requests} in {result.Seconds:0.0} s, {result.Messages} messages), p50 {result.P50Microseconds / 1000:0.000} ms, p90 {result.P90Microseconds / 1000:0.000} ms, p99 {result.P99Microseconds / 1000:0.000} ms, max {result.MaxMicroseconds / 1000:0.0} ms, errors {result.Errors}, refused {result.Refused}, peak RSS {result.PeakRssKilobytes / 1024.0:0.0} MiB over {result.ServerProcesses} process(es)"));
        if (result.FirstError is not null)
        {
            Console.WriteLine($"  first error: {result.FirstError}");
        }

        if (result.FirstRefusal is not null)
        {
            Console.WriteLine($"  first refusal: {result.FirstRefusal}");
        }

        if (options.TryGetValue("out", out var path))
        {
            ResultTable.Append(path, new ResultLine(label, load.Target.ToString(), load.Concurrency, load.RecipientsPerMessage, load.Mailboxes, DateTimeOffset.UtcNow, result));
        }

        return result.Errors == 0 && result.Requests > 0 ? 0 : 1;
    }

    private static async Task<int> RunNoopAsync(Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        await new NoopResponder(Endpoint(Required(options, "listen"))).RunAsync(cancellationToken);
        return 0;
    }

    private static async Task<int> RunNoopMilterAsync(Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        var endOfMessageOnly = options.GetValueOrDefault("steps", "same") switch
        {
            "same" => false,
            "eom-only" => true,
            var other => throw new FormatException($"--steps must be same or eom-only (was '{other}')"),
        };
        await new Milter.NoopMilter(Endpoint(Required(options, "listen")), endOfMessageOnly).RunAsync(cancellationToken);
        return 0;
    }

    private static async Task<int> RunSmtpBoundsAsync(Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        var pid = Number(options, "server-pid", 0);
        var rssLimit = Number(options, "rss-limit-mb", 0) * 1024L;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = new ResidentMemorySampler(pid > 0 ? pid : Environment.ProcessId, TimeSpan.FromMilliseconds(50), passed: stop.Cancel);
        if (pid > 0 && rssLimit > 0)
        {
            sampler.Limit(rssLimit);
        }

        long inData = 0;

        // Every connection in DATA, no content yet: what the connections cost.
        async Task LookInDataAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            inData = ResidentMemory.RssKilobytes(pid);
        }

        var load = new BigMessageLoadOptions
        {
            Target = Endpoint(Required(options, "target")),
            Sender = Required(options, "sender"),
            Recipient = options.GetValueOrDefault("recipient", "rcpt@sink.test"),
            Connections = Number(options, "connections", 2000),
            MessageBytes = Number(options, "size", 30_000_000),
            Timeout = TimeSpan.FromSeconds(Number(options, "timeout", 600)),
            AllInData = pid > 0 ? LookInDataAsync : null,
        };
        var idle = pid > 0 ? ResidentMemory.RssKilobytes(pid) : 0;
        BigMessageLoadResult result;
        try
        {
            result = await new BigMessageLoad(load).RunAsync(stop.Token);
        }
        finally
        {
            await sampler.DisposeAsync();
        }

        var measured = pid > 0;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            connections = load.Connections,
            messageBytes = load.MessageBytes,
            replies = result.Replies,
            examples = result.Examples,
            inData = result.InData,
            octetsSent = result.OctetsSent,
            allInDataSeconds = Math.Round(result.AllInData.TotalSeconds, 2),
            seconds = Math.Round(result.Elapsed.TotalSeconds, 2),
            idleRssKilobytes = idle,
            inDataRssKilobytes = inData,
            peakRssKilobytes = measured ? sampler.PeakRssKilobytes : 0,
            highWaterKilobytes = measured ? sampler.HighWaterKilobytes : 0,
            peakThreads = measured ? sampler.PeakThreads : 0,
            stoppedAtRssLimitSeconds = sampler.PassedLimitAfter is { } after ? Math.Round(after.TotalSeconds, 1) : (double?)null,
        }));
        return result.Count("250 2.0.0") + result.Count("452 4.3.1") == load.Connections ? 0 : 1;
    }

    private static int Report(Dictionary<string, string> options)
    {
        Console.Write(ResultTable.Markdown(
            Required(options, "in"),
            options.GetValueOrDefault("baseline", "postfwd"),
            options.GetValueOrDefault("ceiling", "noop")));
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new FormatException($"expected --name value, got '{args[i]}'");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new FormatException($"--{name} is required");

    private static int Number(Dictionary<string, string> options, string name, int fallback) =>
        !options.TryGetValue(name, out var value) ? fallback
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= 0 ? number
        : throw new FormatException($"--{name} wants a whole number, got '{value}'");

    private static IPEndPoint Endpoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port > 0
            ? endpoint
            : throw new FormatException($"'{text}' is not an address:port");

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
