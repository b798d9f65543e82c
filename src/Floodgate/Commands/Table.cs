namespace Floodgate.Commands;

/// <summary>Left-aligned columns, two spaces apart, header underlined. For people; --json is for scripts.</summary>
internal static class Table
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length && i < row.Count; i++)
                widths[i] = Math.Max(widths[i], (row[i] ?? "").Length);
        }

        // The last column is not padded; keep its underline short when it holds long text (JSON details).
        widths[^1] = Math.Min(widths[^1], Math.Max(headers[^1].Length, 40));
        WriteRow(output, headers, widths);
        WriteRow(output, widths.Select(w => new string('-', w)).ToList(), widths);
        foreach (var row in all)
            WriteRow(output, row, widths);
        if (all.Count == 0)
            output.WriteLine("(none)");
    }

    /// <summary>"Label:  value" lines for one record.</summary>
    public static void WriteFields(TextWriter output, IEnumerable<(string Label, string? Value)> fields)
    {
        var list = fields.ToList();
        var width = list.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in list)
            output.WriteLine((label + ":").PadRight(width + 1) + value);
    }

    private static void WriteRow(TextWriter output, IReadOnlyList<string?> cells, int[] widths)
    {
        var parts = new string[widths.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i] ?? "" : "";
            parts[i] = i == widths.Length - 1 ? cell : cell.PadRight(widths[i]);
        }

        output.WriteLine(string.Join("  ", parts).TrimEnd());
    }
}
