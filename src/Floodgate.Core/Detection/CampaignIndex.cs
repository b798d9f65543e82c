using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Detection;

/// <summary>
/// Recent bulk-ish messages of every mailbox, found by content: locality-sensitive hashing over
/// the MinHash values (bands of rows), so a lookup touches only likely matches. With 64 values in
/// 16 bands of 4, two messages of similarity 0.8 share a band with probability 0.9998.
/// </summary>
internal sealed class CampaignIndex
{
    private const int Rows = 4;
    private readonly Dictionary<ulong, List<TrackedMessage>> _bands = [];
    private readonly Lock _sync = new();
    private DateTimeOffset _lastSweep;

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _bands.Count;
            }
        }
    }

    public void Add(TrackedMessage message, DateTimeOffset now, TimeSpan window)
    {
        var values = message.Fingerprint.Values;
        lock (_sync)
        {
            for (var band = 0; band + Rows <= values.Length; band += Rows)
            {
                var key = BandKey(values, band);
                if (!_bands.TryGetValue(key, out var list))
                {
                    list = new List<TrackedMessage>(2);
                    _bands[key] = list;
                }

                list.Add(message);
            }

            if (now - _lastSweep > window)
            {
                Sweep(now, window);
                _lastSweep = now;
            }
        }
    }

    /// <summary>Messages of other mailboxes within the window whose similarity reaches the threshold.</summary>
    public List<(TrackedMessage Message, double Similarity)> FindSimilar(in ContentFingerprint fingerprint, int excludeMailboxId, DateTimeOffset now, TimeSpan window, double threshold)
    {
        var found = new List<(TrackedMessage, double)>();
        var seen = new HashSet<TrackedMessage>(ReferenceEqualityComparer.Instance);
        var values = fingerprint.Values;
        lock (_sync)
        {
            for (var band = 0; band + Rows <= values.Length; band += Rows)
            {
                if (!_bands.TryGetValue(BandKey(values, band), out var list))
                {
                    continue;
                }

                foreach (var m in list)
                {
                    if (m.MailboxId == excludeMailboxId || now - m.At > window || !seen.Add(m))
                    {
                        continue;
                    }

                    var similarity = fingerprint.Similarity(m.Fingerprint);
                    if (similarity >= threshold)
                    {
                        found.Add((m, similarity));
                    }
                }
            }
        }

        return found;
    }

    private void Sweep(DateTimeOffset now, TimeSpan window)
    {
        List<ulong>? empty = null;
        foreach (var (key, list) in _bands)
        {
            list.RemoveAll(m => now - m.At > window);
            if (list.Count == 0)
            {
                (empty ??= []).Add(key);
            }
        }

        if (empty is not null)
        {
            foreach (var key in empty)
            {
                _bands.Remove(key);
            }
        }
    }

    private static ulong BandKey(ReadOnlySpan<uint> values, int start)
    {
        var h = 0xcbf29ce484222325UL ^ (ulong)start;
        for (var i = start; i < start + Rows; i++)
        {
            h = (h ^ values[i]) * 0x100000001b3UL;
        }

        return h;
    }
}
