using System.Net;

namespace Floodgate.Protocols.Listening;

/// <summary>Turns configured endpoint strings into endpoints, with messages fit for a start-up failure.</summary>
internal static class ListenerOptions
{
    public static List<IPEndPoint> ParseEndPoints(IEnumerable<string> endPoints, string optionName)
    {
        var result = new List<IPEndPoint>();
        foreach (var text in endPoints)
        {
            if (!IPEndPoint.TryParse(text, out var endPoint) || endPoint.Port is < 0 or > 65535)
            {
                throw new ArgumentException($"{optionName}: '{text}' is not an IP endpoint such as 127.0.0.1:10040 or [::1]:10040.");
            }

            result.Add(endPoint);
        }

        return result;
    }

    public static void ValidatePositive(TimeSpan value, string optionName)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException($"{optionName} must be positive (was {value}).");
        }
    }

    public static void ValidatePositive(long value, string optionName)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{optionName} must be positive (was {value}).");
        }
    }
}
