using System.Buffers;

namespace Floodgate.Protocols.Tests;

/// <summary>Builds multi-segment sequences, as a socket read delivers them.</summary>
internal static class Sequences
{
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> data, int segmentSize)
    {
        if (data.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < data.Length; offset += segmentSize)
        {
            var chunk = data.Slice(offset, Math.Min(segmentSize, data.Length - offset)).ToArray();
            if (first is null)
            {
                first = last = new Segment(chunk, 0);
            }
            else
            {
                last = last!.Append(chunk);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
