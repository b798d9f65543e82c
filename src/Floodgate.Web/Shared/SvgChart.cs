using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Floodgate.Web.Shared;

/// <summary>One series of a chart: its name in the legend, its colour, one value per label.</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<long> Values);

public enum ChartKind
{
    /// <summary>The series stacked in one bar per label (their sum is the bar's height).</summary>
    StackedBars,

    /// <summary>One line per series.</summary>
    Lines,
}

/// <summary>
/// A chart drawn on the server as inline SVG: axes with round ticks, labels, a legend, and a
/// <c>&lt;title&gt;</c> tooltip per label with every series' value. No script, nothing fetched. Every
/// text (labels, names, the title) goes through the page's <see cref="HtmlEncoder"/>.
/// </summary>
public sealed class SvgChart : IHtmlContent
{
    private const int Width = 720;
    private const int Height = 240;
    private const int Left = 56;
    private const int Right = 12;
    private const int Top = 30;
    private const int Bottom = 26;
    private const double PlotWidth = Width - Left - Right;
    private const double PlotHeight = Height - Top - Bottom;

    private readonly ChartKind _kind;
    private readonly string _title;
    private readonly IReadOnlyList<string> _labels;
    private readonly IReadOnlyList<ChartSeries> _series;
    private readonly int _labelEvery;

    public SvgChart(ChartKind kind, string title, IReadOnlyList<string> labels, IReadOnlyList<ChartSeries> series, int labelEvery = 1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(series);
        foreach (var s in series)
        {
            if (s.Values.Count != labels.Count)
                throw new ArgumentException($"the series {s.Name} has {s.Values.Count} values for {labels.Count} labels", nameof(series));
        }

        _kind = kind;
        _title = title;
        _labels = labels;
        _series = series;
        _labelEvery = Math.Max(1, labelEvery);
    }

    /// <summary>The top of the value axis: a round number at or above the largest bar (or point).</summary>
    public long AxisMax { get; private set; }

    public void WriteTo(TextWriter writer, HtmlEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        var n = _labels.Count;
        var largest = 0L;
        for (var i = 0; i < n; i++)
        {
            var stack = 0L;
            foreach (var s in _series)
            {
                stack = _kind == ChartKind.StackedBars ? stack + Math.Max(0, s.Values[i]) : Math.Max(stack, s.Values[i]);
            }

            largest = Math.Max(largest, stack);
        }

        var step = NiceStep(largest);
        AxisMax = step * 4;

        writer.Write("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
        writer.Write(Number(Width));
        writer.Write(' ');
        writer.Write(Number(Height));
        writer.Write("\" role=\"img\" aria-label=\"");
        encoder.Encode(writer, _title);
        writer.Write("\"><title>");
        encoder.Encode(writer, _title);
        writer.Write("</title>");

        // The value axis: five round ticks, 0 to AxisMax, with grid lines.
        for (var t = 0; t <= 4; t++)
        {
            var y = Top + PlotHeight - (PlotHeight * t / 4);
            writer.Write($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Coordinate(y)}\" y2=\"{Coordinate(y)}\" stroke=\"{(t == 0 ? "#9aa3b2" : "#e3e6ec")}\"/>");
            writer.Write($"<text x=\"{Left - 6}\" y=\"{Coordinate(y + 3)}\" text-anchor=\"end\">");
            encoder.Encode(writer, Short(step * t));
            writer.Write("</text>");
        }

        // The legend, above the plot.
        var legendX = (double)Left;
        foreach (var s in _series)
        {
            writer.Write($"<rect x=\"{Coordinate(legendX)}\" y=\"8\" width=\"10\" height=\"10\" fill=\"");
            encoder.Encode(writer, s.Color);
            writer.Write($"\"/><text x=\"{Coordinate(legendX + 14)}\" y=\"17\">");
            encoder.Encode(writer, s.Name);
            writer.Write("</text>");
            legendX += 24 + (s.Name.Length * 6.2);
        }

        if (n == 0 || largest == 0)
        {
            writer.Write($"<text x=\"{Coordinate(Left + (PlotWidth / 2))}\" y=\"{Coordinate(Top + (PlotHeight / 2))}\" text-anchor=\"middle\">no traffic in this period</text>");
        }

        var slot = n == 0 ? PlotWidth : PlotWidth / n;
        if (_kind == ChartKind.StackedBars)
            WriteBars(writer, encoder, n, slot);
        else
            WriteLines(writer, encoder, n, slot);

        // Labels under the axis, and one hover area per label whose tooltip names every value.
        for (var i = 0; i < n; i++)
        {
            var x = Left + (slot * i);
            if (i % _labelEvery == 0)
            {
                writer.Write($"<text x=\"{Coordinate(x + (slot / 2))}\" y=\"{Height - 8}\" text-anchor=\"middle\">");
                encoder.Encode(writer, _labels[i]);
                writer.Write("</text>");
            }

            writer.Write($"<rect x=\"{Coordinate(x)}\" y=\"{Top}\" width=\"{Coordinate(slot)}\" height=\"{Coordinate(PlotHeight)}\" fill=\"transparent\"><title>");
            encoder.Encode(writer, Tooltip(i));
            writer.Write("</title></rect>");
        }

        writer.Write("</svg>");
    }

    /// <summary>"14:00: accepted 1,204 · held 3 · total 1,207".</summary>
    public string Tooltip(int index)
    {
        var parts = new List<string>(_series.Count + 1);
        var total = 0L;
        foreach (var s in _series)
        {
            parts.Add($"{s.Name} {Number(s.Values[index])}");
            total += s.Values[index];
        }

        if (_kind == ChartKind.StackedBars && _series.Count > 1)
            parts.Add($"total {Number(total)}");
        return $"{_labels[index]}: {string.Join(" · ", parts)}";
    }

    private void WriteBars(TextWriter writer, HtmlEncoder encoder, int n, double slot)
    {
        var barWidth = Math.Max(1, slot * 0.72);
        for (var i = 0; i < n; i++)
        {
            var x = Left + (slot * i) + ((slot - barWidth) / 2);
            var baseY = Top + PlotHeight;
            foreach (var s in _series)
            {
                var v = Math.Max(0, s.Values[i]);
                if (v == 0)
                    continue;
                var h = PlotHeight * v / AxisMax;
                baseY -= h;
                writer.Write($"<rect x=\"{Coordinate(x)}\" y=\"{Coordinate(baseY)}\" width=\"{Coordinate(barWidth)}\" height=\"{Coordinate(h)}\" fill=\"");
                encoder.Encode(writer, s.Color);
                writer.Write("\"/>");
            }
        }
    }

    private void WriteLines(TextWriter writer, HtmlEncoder encoder, int n, double slot)
    {
        foreach (var s in _series)
        {
            writer.Write("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"");
            encoder.Encode(writer, s.Color);
            writer.Write("\" points=\"");
            for (var i = 0; i < n; i++)
            {
                var x = Left + (slot * i) + (slot / 2);
                var y = Top + PlotHeight - (PlotHeight * Math.Max(0, s.Values[i]) / AxisMax);
                writer.Write($"{Coordinate(x)},{Coordinate(y)} ");
            }

            writer.Write("\"/>");
        }
    }

    /// <summary>The step of five round ticks (1, 2 or 5 times a power of ten) that reach <paramref name="largest"/>.</summary>
    public static long NiceStep(long largest)
    {
        if (largest <= 4)
            return 1;
        var raw = largest / 4.0;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return Math.Max(1, (long)Math.Ceiling((nice * magnitude) - 1e-9));
    }

    private static string Short(long value) => value switch
    {
        >= 10_000_000 => (value / 1_000_000).ToString(CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1_000).ToString(CultureInfo.InvariantCulture) + "k",
        _ => Number(value),
    };

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Coordinate(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
