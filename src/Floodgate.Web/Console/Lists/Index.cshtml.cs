using Floodgate.Storage.Lists;
using Floodgate.Web.Shared;

namespace Floodgate.Web.Console.Lists;

/// <summary>Every client's lists with their member counts.</summary>
public sealed class IndexModel(ListStore store) : ConsolePage
{
    public ListTable Table { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Table = new ListTable(await store.ListListsAsync(null, cancellationToken), new ListScreenLinks("/Lists", null));
}
