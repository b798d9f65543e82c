using System.Globalization;
using System.Net;
using System.Text;
using Floodgate.Doors.Milter;
using Floodgate.Doors.PolicyDelegation;
using Floodgate.Protocols.Milter;
using Floodgate.Protocols.PolicyDelegation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// Postfix's smtpd in front of Floodgate's Postfix doors, configured as the README's main.cf: policy
/// delegation in smtpd_recipient_restrictions and smtpd_end_of_data_restrictions, the milter in
/// smtpd_milters, either or both (PostfixDoorsHost's servers and doors, options through
/// <see cref="PostfixOptions.ApplyDefaults"/> as the host does). The SASL login has already been
/// checked by Postfix (Dovecot): it reaches the doors as sasl_username and {auth_authen}.
/// What Postfix asks and in which order, per submission:
/// <list type="bullet">
/// <item>MAIL: the milter (its reply unless it negotiated SMFIP_NR_MAIL). The policy service is not asked.</item>
/// <item>each RCPT: the policy service first (a restriction), then, for a recipient it let through, the
/// milter. A refusal refuses that recipient; the client goes on with the next.</item>
/// <item>no recipient accepted, or RSET: ABORT to the milter; the policy service is told nothing.</item>
/// <item>the content to the milter (headers, body), then END-OF-MESSAGE to the policy service
/// (smtpd_end_of_data_restrictions), then the milter's end of message; a refusal by the policy service
/// aborts the milter's message.</item>
/// </list>
/// What the doors answer is the result: DUNNO and continue mean Postfix's own rules decide (here: the
/// message goes on). A policy service configured but unreachable is Postfix's default action, DUNNO
/// here: it is not asked at all.
/// </summary>
public sealed class PostfixDriver : IDoorDriver
{
    private readonly ScenarioWorld _world;
    private readonly PolicyServer? _policy;
    private readonly PolicyDoor? _policyDoor;
    private readonly MilterServer? _milter;
    private int _submissions;

    /// <summary>The header fields the milter added to the last message (SMFIR_ADDHEADER: name NUL value NUL), in order.</summary>
    public List<KeyValuePair<string, string>> AddedHeaders { get; } = [];

    private PostfixDriver(ScenarioWorld world, PolicyServer? policy, PolicyDoor? policyDoor, MilterServer? milter)
    {
        _world = world;
        _policy = policy;
        _policyDoor = policyDoor;
        _milter = milter;
    }

    /// <param name="policy">PolicyDelegation:Enabled (and so, through ApplyDefaults, whether the milter counts).</param>
    /// <param name="policyReachable">False: the policy door is configured but down; Postfix applies DUNNO, its default action.</param>
    /// <param name="trace">The RFC 9477 trace fields the milter door adds (SMFIR_ADDHEADER); null: none, as by default.</param>
    public static async Task<PostfixDriver> StartAsync(ScenarioWorld world, bool policy, bool milter, bool policyReachable, CancellationToken cancellationToken,
        Floodgate.Doors.Complaints.TraceHeaders? trace = null)
    {
        var policyOptions = new PolicyDelegationOptions { Enabled = policy, Listen = ["127.0.0.1:0"], TrustedNetworks = [.. world.TrustedNetworks] };
        var milterOptions = new MilterOptions { Enabled = milter, Listen = ["127.0.0.1:0"], TrustedNetworks = [.. world.TrustedNetworks] };
        PostfixOptions.ApplyDefaults(policyOptions, milterOptions);

        PolicyServer? policyServer = null;
        PolicyDoor? policyDoor = null;
        if (policy && policyReachable)
        {
            policyDoor = new PolicyDoor(world.Engine, policyOptions, NullLogger.Instance);
            policyServer = new PolicyServer(new PolicyServerOptions { TcpEndPoints = [.. policyOptions.Listen] }, policyDoor, logger: null, world.Time);
            await policyServer.StartAsync(cancellationToken);
        }

        MilterServer? milterServer = null;
        if (milter)
        {
            var door = new MilterDoor(world.Engine, milterOptions, world.Spool, NullLogger.Instance) { Trace = trace };
            milterServer = new MilterServer(new MilterServerOptions { TcpEndPoints = [.. milterOptions.Listen], SkippedSteps = door.Steps }, door, logger: null, world.Time);
            await milterServer.StartAsync(cancellationToken);
        }

        return new PostfixDriver(world, policyServer, policyDoor, milterServer);
    }

    public async Task<ScenarioResult> SendAsync(Submission submission, CancellationToken cancellationToken)
    {
        var n = ++_submissions;
        var instance = string.Create(CultureInfo.InvariantCulture, $"{n:x4}.67c4a1b2.{Environment.CurrentManagedThreadId:x}.0");
        var queueId = string.Create(CultureInfo.InvariantCulture, $"4Q{n:X6}");
        var size = Encoding.UTF8.GetByteCount(submission.Message);
        await using var policy = _policy is null ? null : await PolicyWire.ConnectAsync(_policy.LocalEndPoints[0], cancellationToken);
        using var milter = _milter is null ? null : await MilterWire.ConnectAsync(_milter.LocalEndPoints[0], cancellationToken);
        try
        {
            return await TransactAsync(submission, instance, queueId, size, policy, milter, cancellationToken);
        }
        finally
        {
            if (milter is not null)
            {
                await milter.SendAsync('Q', [], cancellationToken);
            }
        }
    }

    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        // What the next request to the policy door would do: complete the transactions Postfix never ended.
        _policyDoor?.Sweep();
        await DoorDrivers.WaitForAsync(
            () => (_policy?.ConnectionCount ?? 0) == 0 && (_milter?.ConnectionCount ?? 0) == 0, "the Postfix doors to close their connections", cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_policy is not null)
        {
            await _policy.DisposeAsync();
        }

        if (_milter is not null)
        {
            await _milter.DisposeAsync();
        }
    }

    private async Task<ScenarioResult> TransactAsync(Submission s, string instance, string queueId, int size, PolicyWire? policy, MilterWire? milter, CancellationToken cancellationToken)
    {
        // The milter takes part in this message until it accepts it (SMFIR_ACCEPT: it wants no more of it).
        var milterActive = milter is not null;
        if (milter is not null)
        {
            await milter.SendMacrosAsync('C', cancellationToken, "j", "mx.postfix.test", "{daemon_name}", "submission");
            await milter.SendConnectAsync("localhost", s.ClientAddress, 50123, cancellationToken);
            if (await milter.ReplyAsync(MilterProtocolFlags.NoReplyConnect, cancellationToken) is { } connect && connect.Command != 'c')
            {
                throw new InvalidOperationException($"the milter answered '{connect.Command}' at connect");
            }

            string[] mailMacros = s.Login is { } login
                ? ["i", queueId, "{auth_type}", "PLAIN", "{auth_authen}", login, "{mail_addr}", s.Sender]
                : ["i", queueId, "{mail_addr}", s.Sender];
            await milter.SendMacrosAsync('M', cancellationToken, mailMacros);
            await milter.SendAsync('M', cancellationToken, $"<{s.Sender}>", string.Create(CultureInfo.InvariantCulture, $"SIZE={size}"));
            switch (await milter.ReplyAsync(MilterProtocolFlags.NoReplyMail, cancellationToken))
            {
                case { Command: 'a' }:
                    milterActive = false;
                    break;
                case { Command: not 'c' } refused:
                    return MilterRefusal(Stage.Mail, 0, refused, 0);
            }
        }

        ScenarioResult? first = null;
        var accepted = 0;
        for (var i = 0; i < s.Recipients.Count; i++)
        {
            var recipient = s.Recipients[i];
            if (policy is not null)
            {
                var action = await policy.AskAsync(Request(s, "RCPT", instance, recipient, 0, size), cancellationToken);
                if (!IsPass(action))
                {
                    first ??= PolicyRefusal(Stage.Rcpt, i + 1, action);
                    continue;
                }
            }

            if (milterActive)
            {
                await milter!.SendMacrosAsync('R', cancellationToken, "{rcpt_addr}", recipient);
                await milter.SendAsync('R', cancellationToken, $"<{recipient}>");
                switch (await milter.ReplyAsync(MilterProtocolFlags.NoReplyRcpt, cancellationToken))
                {
                    case { Command: 'a' }:
                        milterActive = false;
                        break;
                    case { Command: not 'c' } refused:
                        first ??= MilterRefusal(Stage.Rcpt, i + 1, refused, 0);
                        continue;
                }
            }

            accepted++;
        }

        // The doors have answered every recipient, except a milter that asked not to be waited for at MAIL
        // and RCPT: it may read them after this runs, as a suspension can land at any point in Postfix too.
        // Each order ends the same way (a MAIL refusal kept for the end, or the status checked there).
        s.AfterRecipients?.Invoke(_world);
        if (s.ResetAfterRecipients || accepted == 0)
        {
            // Postfix aborts the milter's message; a policy service hears nothing of RSET.
            if (milter is not null)
            {
                await milter.SendAsync('A', [], cancellationToken);
            }

            return Finish(first, new ScenarioResult(Stage.None, 0, string.Empty, string.Empty, accepted, 0));
        }

        if (milterActive)
        {
            await SendContentAsync(milter!, s.Message, cancellationToken);
        }

        if (policy is not null)
        {
            var action = await policy.AskAsync(Request(s, "END-OF-MESSAGE", instance, string.Empty, accepted, size), cancellationToken);
            if (!IsPass(action))
            {
                if (milter is not null)
                {
                    await milter.SendAsync('A', [], cancellationToken);
                }

                return Finish(first, PolicyRefusal(Stage.EndOfData, 0, action) with { Accepted = accepted });
            }
        }

        if (!milterActive)
        {
            return Finish(first, Passed(accepted));
        }

        AddedHeaders.Clear();
        await milter!.SendMacrosAsync('E', cancellationToken, "i", queueId);
        await milter.SendAsync('E', [], cancellationToken);
        string? quarantine = null;
        while (true)
        {
            var (command, data) = await milter.ReadAsync(cancellationToken);
            var text = Encoding.UTF8.GetString(data).TrimEnd('\0');
            switch (command)
            {
                case 'h':
                    var parts = text.Split('\0');
                    AddedHeaders.Add(new(parts[0], parts.Length > 1 ? parts[1] : string.Empty));
                    continue;
                case 'p':
                    // A progress note: the decision follows.
                    continue;
                case 'q':
                    quarantine = text;
                    continue;
                case 'c' or 'a':
                    return Finish(first, quarantine is null ? Passed(accepted) : new ScenarioResult(Stage.EndOfData, 0, "hold", quarantine, accepted, 0));
                default:
                    return Finish(first, MilterRefusal(Stage.EndOfData, 0, (command, text), accepted));
            }
        }
    }

    /// <summary>The content as Postfix's cleanup passes it: one packet per header, end of headers, body chunks of at most 64 KB.</summary>
    private static async Task SendContentAsync(MilterWire milter, string message, CancellationToken cancellationToken)
    {
        if (!milter.LeavesOut(MilterProtocolFlags.NoData))
        {
            await milter.SendAsync('T', [], cancellationToken);
            await milter.ReplyAsync(MilterProtocolFlags.NoReplyData, cancellationToken);
        }

        var split = message.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        foreach (var line in message[..split].Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            await milter.SendAsync('L', cancellationToken, line[..colon], line[(colon + 1)..].TrimStart(' '));
            await milter.ReplyAsync(MilterProtocolFlags.NoReplyHeader, cancellationToken);
        }

        await milter.SendAsync('N', [], cancellationToken);
        await milter.ReplyAsync(MilterProtocolFlags.NoReplyEndOfHeaders, cancellationToken);
        var body = Encoding.UTF8.GetBytes(message[(split + 4)..]);
        for (var offset = 0; offset < body.Length; offset += 65535)
        {
            await milter.SendAsync('B', body[offset..Math.Min(body.Length, offset + 65535)], cancellationToken);
            await milter.ReplyAsync(MilterProtocolFlags.NoReplyBody, cancellationToken);
        }
    }

    /// <summary>A request as Postfix's smtpd sends it (the attributes of SMTPD_POLICY_README, in its order).</summary>
    private static List<(string, string)> Request(Submission s, string state, string instance, string recipient, int recipientCount, int size)
    {
        List<(string, string)> attributes =
        [
            ("request", "smtpd_access_policy"), ("protocol_state", state), ("protocol_name", "ESMTP"),
            ("helo_name", "client.test"), ("queue_id", string.Empty), ("sender", s.Sender), ("recipient", recipient),
            ("recipient_count", recipientCount.ToString(CultureInfo.InvariantCulture)), ("client_address", s.ClientAddress),
            ("client_name", "localhost"), ("reverse_client_name", "localhost"), ("instance", instance),
        ];
        if (s.Login is { } login)
        {
            attributes.AddRange([("sasl_method", "PLAIN"), ("sasl_username", login), ("sasl_sender", string.Empty)]);
        }

        attributes.AddRange([("size", size.ToString(CultureInfo.InvariantCulture)), ("stress", string.Empty)]);
        return attributes;
    }

    private static bool IsPass(string action) => action is "DUNNO" or "OK";

    private static ScenarioResult Passed(int accepted) => new(Stage.EndOfData, 0, "250", string.Empty, accepted, accepted);

    private static ScenarioResult Finish(ScenarioResult? first, ScenarioResult last) =>
        first is null ? last : first with { Accepted = last.Accepted, Relayed = last.Relayed };

    /// <summary>An access(5) action: "550 5.7.1 text" as it is; HOLD as "hold"; any other word as the word.</summary>
    private static ScenarioResult PolicyRefusal(Stage stage, int recipient, string action)
    {
        if (action.StartsWith("HOLD", StringComparison.Ordinal))
        {
            return new ScenarioResult(stage, recipient, "hold", action.Length > 5 ? action[5..] : string.Empty, 0, 0);
        }

        var (reply, text) = DoorDrivers.SplitReply(action);
        return new ScenarioResult(stage, recipient, reply, text, 0, 0);
    }

    /// <summary>SMFIR_REPLYCODE as its SMTP reply; reject, tempfail and discard as the words.</summary>
    private static ScenarioResult MilterRefusal(Stage stage, int recipient, (char Command, string Text) reply, int accepted)
    {
        if (reply.Command == 'y')
        {
            var (code, text) = DoorDrivers.SplitReply(reply.Text);
            return new ScenarioResult(stage, recipient, code, text, accepted, 0);
        }

        var word = reply.Command switch
        {
            'r' => "reject",
            't' => "tempfail",
            'd' => "discard",
            _ => "milter '" + reply.Command + "'",
        };
        return new ScenarioResult(stage, recipient, word, reply.Text, accepted, 0);
    }
}
