using System.CommandLine;
using System.Globalization;
using Floodgate.Storage.Transactions;

namespace Floodgate.Commands;

/// <summary><c>floodgate log</c>: recent transactions, newest first.</summary>
internal static class LogCommand
{
    public static Command Create(CliOptions options)
    {
        var since = new Option<string?>("--since") { Description = "How far back: 30m, 2h, 7d, or a time such as 2025-03-01T12:00Z" };
        var mailbox = new Option<string?>("--mailbox") { Description = "Only this mailbox's transactions" };
        var verdict = new Option<Floodgate.Core.Policy.Outcome?>("--verdict") { Description = "Accepted, Deferred, Rejected or Held" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 50)", DefaultValueFactory = _ => 50 };
        var log = new Command("log", "Recent transactions from the transaction log") { since, mailbox, verdict, limit };
        log.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            DateTimeOffset? from = null;
            if (cli.Get(since) is { } text)
                from = TryParseSince(text, TimeProvider.System.GetUtcNow(), out var t)
                    ? t
                    : throw new CliException($"--since {text}: expected a duration (30m, 2h, 7d) or a time (2025-03-01T12:00Z).");
            var records = await cli.Transactions.QueryAsync(new TransactionQuery(from, cli.Get(mailbox), cli.Get(verdict), cli.Get(limit)), ct);
            if (cli.Json)
            {
                cli.WriteJson(records);
                return;
            }

            Table.Write(cli.Out, ["TIME", "MAILBOX", "CLIENT IP", "DOOR", "VERDICT", "CODE", "RCPT", "EXT", "SIZE", "MS", "MESSAGE-ID", "REASON"],
                records.Select(r => new[]
                {
                    Format.Time(r.Time), r.MailboxAddress ?? r.EnvelopeSender, r.ClientAddress, r.FrontDoor, r.Verdict.ToString(), r.VerdictCode,
                    Format.Number(r.RecipientCount), Format.Number(r.ExternalRecipientCount), Format.Number(r.SizeBytes),
                    (r.TotalMicros / 1000.0).ToString("0.0", CultureInfo.InvariantCulture), r.MessageId, r.VerdictReason,
                }));
        }));
        return log;
    }

    internal static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        since = default;
        text = text.Trim();
        if (text.Length >= 2 && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            TimeSpan? span = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (span is { } s)
            {
                since = now - s;
                return true;
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since);
    }
}
