using System.Text.Json;
using System.Text.Json.Serialization;
using Floodgate.Core.Policy;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// Outcomes in the evidence JSON, in the words a person reads in an incident: relayed, deferred,
/// refused, held (the names evidence has always had, so older incidents read the same).
/// </summary>
public sealed class OutcomeJsonConverter : JsonConverter<Outcome>
{
    public override Outcome Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return (Outcome)reader.GetInt32();
        }

        return reader.GetString()?.ToLowerInvariant() switch
        {
            "accepted" or "relayed" => Outcome.Accepted,
            "deferred" => Outcome.Deferred,
            "rejected" or "refused" => Outcome.Rejected,
            "held" => Outcome.Held,
            var other => throw new JsonException($"'{other}' is not an outcome"),
        };
    }

    public override void Write(Utf8JsonWriter writer, Outcome value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value switch
        {
            Outcome.Accepted => "relayed",
            Outcome.Rejected => "refused",
            Outcome.Held => "held",
            _ => "deferred",
        });
}
