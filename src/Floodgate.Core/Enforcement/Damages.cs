using System.Globalization;
using System.Text;

namespace Floodgate.Core.Enforcement;

public sealed class DamagesOptions
{
    /// <summary>The policy's liquidated damages per piece of spam.</summary>
    public decimal AmountPerPiece { get; set; } = 3.00m;

    public string Currency { get; set; } = "USD";
}

/// <summary>One message of an offense's evidence, as the statement lists it.</summary>
public sealed record DamagesLine(DateTimeOffset At, string MessageId, int Recipients, bool Relayed, string Outcome);

/// <summary>
/// The statement of an incident: each recipient of each relayed message in the evidence is one
/// piece of spam; attempts that were held or refused are listed apart and cost nothing.
/// </summary>
public sealed class DamagesStatement
{
    public DamagesStatement(long incidentId, string clientName, IReadOnlyList<DamagesLine> lines, DamagesOptions options)
    {
        IncidentId = incidentId;
        ClientName = clientName;
        Lines = lines;
        AmountPerPiece = options.AmountPerPiece;
        Currency = options.Currency;
        foreach (var line in lines)
        {
            if (line.Relayed)
            {
                Pieces += line.Recipients;
            }
            else
            {
                NotRelayedAttempts += line.Recipients;
            }
        }

        Total = Pieces * AmountPerPiece;
    }

    public long IncidentId { get; }

    public string ClientName { get; }

    public IReadOnlyList<DamagesLine> Lines { get; }

    public decimal AmountPerPiece { get; }

    public string Currency { get; }

    public long Pieces { get; }

    public long NotRelayedAttempts { get; }

    public decimal Total { get; }

    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendLine("incident,client,time_utc,message_id,recipients,relayed,outcome,pieces,amount,currency");
        foreach (var l in Lines)
        {
            var pieces = l.Relayed ? l.Recipients : 0;
            sb.Append(IncidentId.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Csv(ClientName)).Append(',')
                .Append(l.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(',')
                .Append(Csv(l.MessageId)).Append(',')
                .Append(l.Recipients.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(l.Relayed ? "yes" : "no").Append(',')
                .Append(Csv(l.Outcome)).Append(',')
                .Append(pieces.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((pieces * AmountPerPiece).ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
                .Append(Currency).AppendLine();
        }

        sb.Append(IncidentId.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Csv(ClientName))
            .Append(",total,,,,,")
            .Append(Pieces.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(Total.ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
            .Append(Currency).AppendLine();
        return sb.ToString();
    }

    /// <summary>A plain-text statement for printing or mailing.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"DAMAGES STATEMENT — incident {IncidentId}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Client: {ClientName}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Liquidated damages: {AmountPerPiece:0.00} {Currency} per piece of spam");
        sb.AppendLine();
        sb.AppendLine("Time (UTC)           Recipients  Relayed  Message-ID");
        foreach (var l in Lines)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{l.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {l.Recipients,10}  {(l.Relayed ? "yes" : "no"),7}  {l.MessageId}");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Pieces relayed: {Pieces}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Attempts held or refused (not charged): {NotRelayedAttempts}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total due: {Total:0.00} {Currency}");
        return sb.ToString();
    }

    private static string Csv(string value)
    {
        // A leading =, +, - or @ would be read as a formula by a spreadsheet (CSV injection).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
