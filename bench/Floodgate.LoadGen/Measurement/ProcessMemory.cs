using System.Globalization;

namespace Floodgate.LoadGen.Measurement;

/// <summary>
/// Resident memory of a server and its child processes, read from /proc. Several peers
/// (postfwd, Postfix) are process trees, so the figure is the sum over the tree.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Sum of one field (VmRSS or VmHWM, in KiB) over the process and its descendants.</summary>
    public static long TreeKilobytes(int pid, string field)
    {
        long total = 0;
        foreach (var member in Tree(pid))
        {
            total += ReadStatusKilobytes(member, field);
        }

        return total;
    }

    /// <summary>
    /// Proportional set size of the tree in KiB: shared pages (a pre-forking Perl server's
    /// copy-on-write heap) are split between the processes that share them, so the sum is not
    /// inflated the way a sum of RSS is.
    /// </summary>
    public static long TreePssKilobytes(int pid)
    {
        long total = 0;
        foreach (var member in Tree(pid))
        {
            total += ReadKilobytes($"/proc/{member}/smaps_rollup", "Pss");
        }

        return total;
    }

    public static int TreeSize(int pid) => Tree(pid).Count;

    public static long ReadStatusKilobytes(int pid, string field) => ReadKilobytes($"/proc/{pid}/status", field);

    private static long ReadKilobytes(string path, string field)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ':')
                {
                    var digits = line.AsSpan(field.Length + 1).Trim();
                    var space = digits.IndexOf(' ');
                    if (space > 0)
                    {
                        digits = digits[..space];
                    }

                    return long.Parse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process ended between listing and reading: it holds no memory now.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }

    private static List<int> Tree(int root)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var parent = ReadParent(pid);
            if (parent <= 0)
            {
                continue;
            }

            if (!parents.TryGetValue(parent, out var children))
            {
                children = [];
                parents[parent] = children;
            }

            children.Add(pid);
        }

        var result = new List<int>();
        if (!Directory.Exists($"/proc/{root}"))
        {
            return result;
        }

        var pending = new Stack<int>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            result.Add(pid);
            if (parents.TryGetValue(pid, out var children))
            {
                foreach (var child in children)
                {
                    pending.Push(child);
                }
            }
        }

        return result;
    }

    private static int ReadParent(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            if (close < 0)
            {
                return -1;
            }

            var rest = stat.AsSpan(close + 2);
            var firstSpace = rest.IndexOf(' ');
            rest = rest[(firstSpace + 1)..];
            var secondSpace = rest.IndexOf(' ');
            return int.Parse(rest[..secondSpace], NumberStyles.Integer, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
