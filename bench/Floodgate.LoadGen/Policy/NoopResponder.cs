using System.Net;
using System.Net.Sockets;

namespace Floodgate.LoadGen.Policy;

/// <summary>
/// The ceiling: a policy server that does no policy work. It answers "action=DUNNO" to every
/// request (a request ends at an empty line), batching the replies to pipelined requests
/// into one send. No allocation per request.
/// </summary>
internal sealed class NoopResponder(IPEndPoint endpoint)
{
    private static ReadOnlySpan<byte> Dunno => "action=DUNNO\n\n"u8;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endpoint);
        listener.Listen(512);
        Console.WriteLine($"noop policy responder listening on {listener.LocalEndPoint}");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                client.NoDelay = true;
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        var input = new byte[8192];
        var output = new byte[8192];
        // Whether the last byte seen was a newline: the terminating empty line may be split across reads.
        var afterNewline = false;
        try
        {
            while (true)
            {
                var read = await client.ReceiveAsync(input, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                var replies = CountRequests(input.AsSpan(0, read), ref afterNewline);
                var length = 0;
                for (var i = 0; i < replies; i++)
                {
                    if (length + Dunno.Length > output.Length)
                    {
                        await SendAsync(client, output.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                        length = 0;
                    }

                    Dunno.CopyTo(output.AsSpan(length));
                    length += Dunno.Length;
                }

                if (length > 0)
                {
                    await SendAsync(client, output.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private static int CountRequests(ReadOnlySpan<byte> data, ref bool afterNewline)
    {
        var count = 0;
        while (true)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (!data.IsEmpty)
                {
                    afterNewline = false;
                }

                return count;
            }

            if (newline == 0 && afterNewline)
            {
                count++;
                afterNewline = false;
            }
            else
            {
                afterNewline = true;
            }

            data = data[(newline + 1)..];
        }
    }

    private static async ValueTask SendAsync(Socket client, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await client.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
