namespace Floodgate.Protocols.Milter;

internal enum MilterState : byte
{
    AwaitOptions,
    Negotiated,
    Connected,
    Mail,
    Rcpt,
    Data,
    Headers,
    Body,
    Closed,
}

/// <summary>
/// Which command the MTA may send in which state, and the state it leads to. A command not in the
/// table is a protocol error and closes the connection (the MTA then applies milter_default_action).
/// </summary>
internal static class MilterStateTable
{
    private const int StateCount = (int)MilterState.Closed + 1;

    // Next state + 1 per (state, command byte); 0 = not allowed.
    private static readonly byte[] Table = Build();

    // Per state, the negotiated flag with which the MTA never sends the command that enters it
    // (SMFIP_NOCONNECT: no Connected, ..., SMFIP_NOEOH: no Body, the body chunks follow the headers).
    private static readonly MilterProtocolFlags[] LeftOutBy =
    [
        MilterProtocolFlags.None, // AwaitOptions
        MilterProtocolFlags.None, // Negotiated
        MilterProtocolFlags.NoConnect, // Connected
        MilterProtocolFlags.NoMail, // Mail
        MilterProtocolFlags.NoRcpt, // Rcpt
        MilterProtocolFlags.NoData, // Data
        MilterProtocolFlags.NoHeaders, // Headers
        MilterProtocolFlags.NoEndOfHeaders, // Body
        MilterProtocolFlags.None, // Closed
    ];

    public static bool TryNext(MilterState state, byte command, out MilterState next)
    {
        var entry = command < 128 ? Table[((int)state * 128) + command] : (byte)0;
        next = (MilterState)(entry - 1);
        return entry != 0;
    }

    /// <summary>
    /// As <see cref="TryNext(MilterState, byte, out MilterState)"/>, passing over the states whose
    /// command the MTA was asked to leave out (<paramref name="negotiated"/>): with every step left
    /// out, end of message follows option negotiation directly.
    /// </summary>
    public static bool TryNext(MilterState state, byte command, MilterProtocolFlags negotiated, out MilterState next)
    {
        while (!TryNext(state, command, out next))
        {
            var following = state + 1;
            if (following >= MilterState.Closed || (negotiated & LeftOutBy[(int)following]) == 0)
            {
                return false;
            }

            state = following;
        }

        return true;
    }

    private static byte[] Build()
    {
        var table = new byte[StateCount * 128];
        void Allow(MilterState from, MilterCommand command, MilterState to) =>
            table[((int)from * 128) + (byte)command] = (byte)(to + 1);

        Allow(MilterState.AwaitOptions, MilterCommand.OptionNegotiation, MilterState.Negotiated);
        Allow(MilterState.Negotiated, MilterCommand.Connect, MilterState.Connected);

        Allow(MilterState.Connected, MilterCommand.Helo, MilterState.Connected);
        Allow(MilterState.Connected, MilterCommand.Mail, MilterState.Mail);
        Allow(MilterState.Connected, MilterCommand.Unknown, MilterState.Connected);

        // Postfix may start over without ABORT after a rejected MAIL or RCPT, or on a new HELO; the
        // connection treats these as an implicit abort of the message.
        Allow(MilterState.Mail, MilterCommand.Rcpt, MilterState.Rcpt);
        Allow(MilterState.Mail, MilterCommand.Mail, MilterState.Mail);
        Allow(MilterState.Mail, MilterCommand.Helo, MilterState.Connected);
        Allow(MilterState.Mail, MilterCommand.Unknown, MilterState.Mail);
        Allow(MilterState.Rcpt, MilterCommand.Rcpt, MilterState.Rcpt);
        Allow(MilterState.Rcpt, MilterCommand.Data, MilterState.Data);
        // Without DATA (SMFIP_NODATA negotiated) the headers follow the last recipient.
        Allow(MilterState.Rcpt, MilterCommand.Header, MilterState.Headers);
        Allow(MilterState.Rcpt, MilterCommand.EndOfHeaders, MilterState.Body);
        Allow(MilterState.Rcpt, MilterCommand.Mail, MilterState.Mail);
        Allow(MilterState.Rcpt, MilterCommand.Helo, MilterState.Connected);
        Allow(MilterState.Rcpt, MilterCommand.Unknown, MilterState.Rcpt);

        Allow(MilterState.Data, MilterCommand.Header, MilterState.Headers);
        Allow(MilterState.Data, MilterCommand.EndOfHeaders, MilterState.Body);
        Allow(MilterState.Data, MilterCommand.EndOfBody, MilterState.Connected);
        Allow(MilterState.Headers, MilterCommand.Header, MilterState.Headers);
        Allow(MilterState.Headers, MilterCommand.EndOfHeaders, MilterState.Body);
        Allow(MilterState.Headers, MilterCommand.EndOfBody, MilterState.Connected);
        Allow(MilterState.Body, MilterCommand.Body, MilterState.Body);
        Allow(MilterState.Body, MilterCommand.EndOfBody, MilterState.Connected);

        for (var state = MilterState.Negotiated; state < MilterState.Closed; state++)
        {
            Allow(state, MilterCommand.Macro, state);
            Allow(state, MilterCommand.Quit, MilterState.Closed);
            Allow(state, MilterCommand.QuitNewConnection, MilterState.Negotiated);
            if (state >= MilterState.Connected)
            {
                Allow(state, MilterCommand.Abort, MilterState.Connected);
            }
        }

        return table;
    }
}
