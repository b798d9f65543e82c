using System.Text;

namespace Floodgate.EndToEnd.Tests.Simulation;

/// <summary>Ordinary business prose from a fixed vocabulary and a fixed seed: every call a different message.</summary>
internal sealed class TextGenerator(int seed)
{
    private static readonly string[] Subjects = ["the team", "our client", "the board", "finance", "the new supplier", "support", "the auditors", "marketing", "the warehouse", "legal", "Maria", "the project lead", "sales", "IT", "the landlord"];
    private static readonly string[] Verbs = ["approved", "asked about", "reviewed", "postponed", "signed", "questioned", "updated", "shipped", "cancelled", "scheduled", "priced", "delivered", "rejected", "summarised", "drafted"];
    private static readonly string[] Objects = ["the quarterly budget", "the lease renewal", "invoice batch seven", "the migration plan", "the safety checklist", "the holiday rota", "the product samples", "the server upgrade", "the training slides", "the contract draft", "the expense policy", "the customer survey", "the parking permits", "the logo proposal", "the backup schedule"];
    private static readonly string[] Tails = ["before Friday", "after lunch", "for next month", "with two changes", "without comment", "as discussed", "in the shared folder", "by phone", "at the offsite", "for the third time", "on short notice", "with the old numbers", "pending approval", "for the Berlin office", "after the audit"];
    private static readonly string[] Openers = ["Hi", "Hello", "Dear", "Morning", "Hey"];
    private static readonly string[] Names = ["Tom", "Anna", "Raj", "Ines", "Kofi", "Lena", "Mateo", "Yuki", "Omar", "Sara", "Piotr", "Chloe"];
    private readonly Random _random = new(seed);

    public string Subject() => $"{Pick(Objects)} {Pick(Tails)}";

    public string Body(int sentences)
    {
        var sb = new StringBuilder();
        sb.Append(Pick(Openers)).Append(' ').Append(Pick(Names)).Append(",\r\n\r\n");
        for (var i = 0; i < sentences; i++)
        {
            var s = $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} {Pick(Tails)}";
            sb.Append(char.ToUpperInvariant(s[0])).Append(s.AsSpan(1)).Append(". ");
            if (i % 3 == 2)
            {
                sb.Append("\r\n\r\n");
            }
        }

        sb.Append("\r\n\r\nBest,\r\n").Append(Pick(Names)).Append("\r\n");
        return sb.ToString();
    }

    public string Token() => $"{_random.NextInt64():x16}";

    public string Name() => Pick(Names);

    private string Pick(string[] options) => options[_random.Next(options.Length)];
}
