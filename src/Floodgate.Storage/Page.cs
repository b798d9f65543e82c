namespace Floodgate.Storage;

/// <summary>
/// One page of a keyset-paged list: the items, and the cursor of the next page (the last item's id),
/// null on the last page. Keyset rather than offset: a page costs the same deep in a million rows,
/// and rows written meanwhile neither repeat nor go missing.
/// </summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long? Next)
{
    public Page<TView> Map<TView>(Func<T, TView> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var items = new List<TView>(Items.Count);
        foreach (var item in Items)
            items.Add(map(item));
        return new Page<TView>(items, Next);
    }

}

public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>The rows to fetch for a page of <paramref name="limit"/>: one more, which only says there is a next page.</summary>
    internal static int Fetch(int limit) => Math.Clamp(limit, 1, MaxLimit) + 1;

    /// <summary>The page from rows fetched with <see cref="Fetch"/>.</summary>
    internal static Page<T> Of<T>(List<T> rows, int limit, Func<T, long> id)
    {
        limit = Math.Clamp(limit, 1, MaxLimit);
        if (rows.Count <= limit)
            return new Page<T>(rows, null);
        rows.RemoveRange(limit, rows.Count - limit);
        return new Page<T>(rows, id(rows[^1]));
    }
}
