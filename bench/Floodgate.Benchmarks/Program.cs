namespace Floodgate.Benchmarks;

public static class BenchmarkProgram
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "hot-state")
        {
            return HotStateMemory.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "list-post")
        {
            return ListPostLoad.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "password-memory")
        {
            return PasswordHashMemory.Run(args[1..]);
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
        return 0;
    }
}
