using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Floodgate.Protocols.Milter;

/// <summary>Frames replies: 4-byte big-endian length (reply byte + data), reply byte, data.</summary>
internal static class MilterWriter
{
    public static void WriteDecision(IBufferWriter<byte> output, MilterDecision decision)
    {
        switch (decision.Kind)
        {
            case MilterDecisionKind.Accept:
                output.Write(MilterReplyTexts.Accept);
                break;
            case MilterDecisionKind.Tempfail:
                output.Write(MilterReplyTexts.Tempfail);
                break;
            case MilterDecisionKind.Reject:
                output.Write(MilterReplyTexts.Reject);
                break;
            case MilterDecisionKind.Discard:
                output.Write(MilterReplyTexts.Discard);
                break;
            case MilterDecisionKind.ReplyCode:
                WritePacket(output, (byte)MilterResponse.ReplyCode, decision.Text.Span, nulTerminated: true);
                break;
            default:
                output.Write(MilterReplyTexts.Continue);
                break;
        }
    }

    public static void WritePacket(IBufferWriter<byte> output, byte command, ReadOnlySpan<byte> data, bool nulTerminated)
    {
        var length = 1 + data.Length + (nulTerminated ? 1 : 0);
        var span = output.GetSpan(4 + length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length);
        span[4] = command;
        data.CopyTo(span[5..]);
        if (nulTerminated)
        {
            span[4 + length - 1] = 0;
        }

        output.Advance(4 + length);
    }

    // SMFIR_ADDHEADER: name NUL value NUL.
    public static void WriteAddHeader(IBufferWriter<byte> output, string name, string value)
    {
        var nameLength = Encoding.UTF8.GetByteCount(name);
        var valueLength = Encoding.UTF8.GetByteCount(value);
        var length = 1 + nameLength + 1 + valueLength + 1;
        var span = output.GetSpan(4 + length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length);
        span[4] = (byte)MilterResponse.AddHeader;
        Encoding.UTF8.GetBytes(name, span[5..]);
        span[5 + nameLength] = 0;
        Encoding.UTF8.GetBytes(value, span[(6 + nameLength)..]);
        span[6 + nameLength + valueLength] = 0;
        output.Advance(4 + length);
    }
}
