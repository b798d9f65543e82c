using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Floodgate.EndToEnd.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// A hosted list's whole mail loop through real Postfix and the real floodgate: people send mail
/// over SMTP to Postfix, whose transport map hands the list domain to Floodgate's LMTP listener
/// (README "Mailing lists"); Floodgate's upstream is that same Postfix, which relays the members'
/// mail to the sink (the members' MX). Postfix writes the bounces of that mail itself and routes
/// them back to Floodgate by LMTP. Each test uses its own list and members, so one instance serves
/// the whole class.
/// </summary>
public sealed class ListsPostfixFixture : IAsyncLifetime
{
    public const string ListDomain = "lists.acme.example";

    /// <summary>The members' domain: Postfix relays it to <see cref="Sink"/>.</summary>
    public const string MemberDomain = "people.example";

    public const string Poster = "ann@acme.test";

    /// <summary>A domain Postfix hosts itself (virtual aliases onto <see cref="MemberDomain"/>): smtpd refuses its unknown users at RCPT.</summary>
    public const string HostedDomain = "hosted.example";

    /// <summary>The one user of <see cref="HostedDomain"/>, until a test deletes it (<see cref="HostedUsers"/>).</summary>
    public const string HostedUser = "gia@" + HostedDomain;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public UpstreamSink Sink { get; private set; } = null!;

    public FloodgateProcess Floodgate { get; private set; } = null!;

    public PrivatePostfix Postfix { get; private set; } = null!;

    /// <summary>The main.cf lines under test: the README's, with the test's ports.</summary>
    public static string[] MainCf(int lmtpPort, int sinkPort) =>
    [
        "recipient_delimiter = +",
        $"transport_maps = inline:{{ {{ {ListDomain} = lmtp:inet:127.0.0.1:{lmtpPort} }} }}",
        "smtpd_sasl_authenticated_header = yes",
        "lmtp_tls_security_level = none",
        // Everything else (the members' domain) goes to the sink, the members' MX.
        $"relayhost = [127.0.0.1]:{sinkPort}",
        $"virtual_alias_domains = {HostedDomain}",
        HostedUsers(HostedUser),
        // Subscribers and Floodgate send from loopback without a login.
        "mynetworks = 127.0.0.0/8",
        "smtpd_relay_restrictions = permit_mynetworks, reject",
    ];

    /// <summary>The users of <see cref="HostedDomain"/>, each an alias of the same name at <see cref="MemberDomain"/>.</summary>
    public static string HostedUsers(params string[] users) =>
        $"virtual_alias_maps = inline:{{ {string.Join(", ", users.Select(u => $"{{ {u} = {u[..u.IndexOf('@', StringComparison.Ordinal)]}@{MemberDomain} }}"))} }}";

    public async Task InitializeAsync()
    {
        Sink = await UpstreamSink.StartAsync();
        Floodgate = new FloodgateProcess();
        await Floodgate.SeedAsync();
        await Floodgate.CliOkAsync("domain", "add", ListDomain, "--client", "Acme");
        // Postfix's transport map must name the LMTP port before either starts, and Floodgate's
        // upstream must name Postfix's port: the LMTP port is chosen first.
        var lmtpPort = FreePort();
        Postfix = await PrivatePostfix.StartAsync([Poster], MainCf(lmtpPort, Sink.EndPoint.Port));
        await Floodgate.StartAsync("--upstream", $"smtp://127.0.0.1:{Postfix.Port}", "--lmtp", $"127.0.0.1:{lmtpPort}");
        Assert.True(Floodgate.Lmtp?.Port == lmtpPort, $"serve.json lists LMTP {Floodgate.Lmtp}, not 127.0.0.1:{lmtpPort}:\n{Floodgate.Output}");
    }

    public async Task DisposeAsync()
    {
        if (Postfix is not null)
        {
            await Postfix.DisposeAsync();
        }

        if (Floodgate is not null)
        {
            await Floodgate.DisposeAsync();
        }

        if (Sink is not null)
        {
            await Sink.DisposeAsync();
        }
    }

    /// <summary>A list of Acme's at <c>{name}@lists.acme.example</c> that <see cref="Poster"/> may post to.</summary>
    public async Task<string> CreateListAsync(string name)
    {
        var address = $"{name}@{ListDomain}";
        await Floodgate.CliOkAsync("list", "create", address, "--client", "Acme", "--name", $"Acme {name}", "--poster", Poster);
        return address;
    }

    /// <summary>Sends a message over SMTP to Postfix's smtpd, as a member's own mail server would.</summary>
    public async Task SendAsync(string from, string to, string subject, string body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync("127.0.0.1", Postfix.Port, SecureSocketOptions.None);
        await smtp.SendAsync(message);
        await smtp.DisconnectAsync(quit: true);
    }

    /// <summary>The first message the sink got for <paramref name="recipient"/> that matches, within the deadline; not dequeued.</summary>
    public async Task<(SinkMessage Envelope, MimeMessage Message)> WaitForMailAsync(string recipient, Func<MimeMessage, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var m in Sink.Messages)
            {
                if (!m.Recipients.Contains(recipient, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                var parsed = MimeMessage.Load(new MemoryStream(m.Data));
                if (match(parsed))
                {
                    return (m, parsed);
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no {what} reached {recipient} within {Deadline.TotalSeconds} s.\nPostfix queue: {await Postfix.QueueJsonAsync()}\nmaillog:\n{Postfix.ReadMailLog()}\nfloodgate:\n{Floodgate.Output}");
    }

    /// <summary>The member as <c>floodgate list members LIST --json</c> shows it, or null.</summary>
    public async Task<JsonElement?> MemberAsync(string list, string address)
    {
        var (code, output) = await Floodgate.CliAsync("list", "members", list, "--json");
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        foreach (var m in json.RootElement.GetProperty("items").EnumerateArray())
        {
            if (string.Equals(m.GetProperty("address").GetString(), address, StringComparison.OrdinalIgnoreCase))
            {
                return m.Clone();
            }
        }

        return null;
    }

    /// <summary>Polls the member until <paramref name="done"/> holds, within the deadline.</summary>
    public async Task<JsonElement> WaitForMemberAsync(string list, string address, Func<JsonElement, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await MemberAsync(list, address);
            if (last is { } m && done(m))
            {
                return m;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{address} on {list}: not {what} within {Deadline.TotalSeconds} s; last seen {last?.ToString() ?? "(no member)"}.\nPostfix queue: {await Postfix.QueueJsonAsync()}\nmaillog:\n{Postfix.ReadMailLog()}\nfloodgate:\n{Floodgate.Output}");
    }

    /// <summary>The member's history events as <c>floodgate list history LIST ADDRESS --json</c> shows them.</summary>
    public async Task<JsonElement[]> HistoryAsync(string list, string address)
    {
        var (code, output) = await Floodgate.CliAsync("list", "history", list, address, "--json");
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        return [.. json.RootElement.GetProperty("history").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>
    /// Double opt-in over SMTP: a request to <c>list+subscribe</c> through Postfix, the confirmation
    /// Floodgate sends back through Postfix, and a reply to its Reply-To. Returns the confirmation.
    /// </summary>
    /// <param name="deliveredTo">Where the sink receives the subscriber's mail, when Postfix rewrites the address (a virtual alias).</param>
    public async Task<MimeMessage> SubscribeByMailAsync(string list, string subscriber, string? deliveredTo = null)
    {
        var local = list[..list.IndexOf('@', StringComparison.Ordinal)];
        await SendAsync(subscriber, $"{local}+subscribe@{ListDomain}", "subscribe", "Please add me.");
        var (_, confirmation) = await WaitForMailAsync(deliveredTo ?? subscriber, m => m.Subject?.StartsWith("Confirm your subscription", StringComparison.Ordinal) == true, "confirmation");
        var replyTo = confirmation.ReplyTo.Mailboxes.Single().Address;
        await SendAsync(subscriber, replyTo, "Re: " + confirmation.Subject, "Yes, that was me.");
        await WaitForMemberAsync(list, subscriber, m => m.GetProperty("status").GetString() == "confirmed", "confirmed");
        return confirmation;
    }

    /// <summary>Queues a post with <c>floodgate list post</c>; the running server delivers it.</summary>
    public async Task PostAsync(string list, string subject, string body)
    {
        var file = Path.Combine(Floodgate.DataDirectory, $"post-{Guid.NewGuid():N}.eml");
        await File.WriteAllTextAsync(file, string.Create(CultureInfo.InvariantCulture,
            $"From: {Poster}\r\nTo: {list}\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@acme.test>\r\nDate: {DateTimeOffset.UtcNow:R}\r\n\r\n{body}\r\n"));
        await Floodgate.CliOkAsync("list", "post", list, "--from", Poster, file);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
