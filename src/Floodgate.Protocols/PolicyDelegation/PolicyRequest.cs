using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// One policy request, reused for every request of a connection. Values are kept as raw UTF-8 slices
/// of an owned buffer; a string is made only when a string property is read, then cached until
/// <see cref="Reset"/>. Numbers and the protocol state are decoded while parsing, without allocation.
/// An instance belongs to one connection and is not thread-safe; it is only valid during
/// <see cref="IPolicyHandler.Decide"/>.
/// </summary>
public sealed class PolicyRequest
{
    private readonly int[] _starts = new int[PolicyAttributeNames.Count];
    private readonly int[] _lengths = new int[PolicyAttributeNames.Count];
    private readonly string?[] _strings = new string?[PolicyAttributeNames.Count];
    private byte[] _buffer;
    private int _used;

    public PolicyRequest()
        : this(new PolicyRequestLimits())
    {
    }

    public PolicyRequest(PolicyRequestLimits limits)
    {
        limits.Validate();
        Limits = limits;
        _buffer = new byte[Math.Min(4096, limits.MaxRequestSize)];
        Reset();
    }

    public PolicyRequestLimits Limits { get; }

    /// <summary>Attribute lines read so far, including ignored ones.</summary>
    public int AttributeCount { get; internal set; }

    /// <summary>Bytes of this request consumed so far, including line ends.</summary>
    public int ByteCount { get; internal set; }

    public PolicyProtocolState ProtocolState { get; private set; }

    /// <summary>recipient_count, or -1 when absent or not a number.</summary>
    public long RecipientCount { get; private set; }

    /// <summary>size (the MAIL FROM SIZE= or the queue file size at END-OF-MESSAGE), or -1.</summary>
    public long Size { get; private set; }

    /// <summary>encryption_keysize, or -1.</summary>
    public int EncryptionKeySize { get; private set; }

    public string? Request => GetString(PolicyAttribute.Request);

    public string? ProtocolName => GetString(PolicyAttribute.ProtocolName);

    public string? HeloName => GetString(PolicyAttribute.HeloName);

    public string? QueueId => GetString(PolicyAttribute.QueueId);

    /// <summary>The envelope sender; empty for the null sender.</summary>
    public string? Sender => GetString(PolicyAttribute.Sender);

    public string? Recipient => GetString(PolicyAttribute.Recipient);

    public string? ClientAddress => GetString(PolicyAttribute.ClientAddress);

    public string? ClientName => GetString(PolicyAttribute.ClientName);

    public string? ReverseClientName => GetString(PolicyAttribute.ReverseClientName);

    /// <summary>Same for all requests of one message: the key to tie RCPT and END-OF-MESSAGE together.</summary>
    public string? Instance => GetString(PolicyAttribute.Instance);

    public string? SaslMethod => GetString(PolicyAttribute.SaslMethod);

    public string? SaslUsername => GetString(PolicyAttribute.SaslUsername);

    public string? SaslSender => GetString(PolicyAttribute.SaslSender);

    public string? CcertSubject => GetString(PolicyAttribute.CcertSubject);

    public string? CcertIssuer => GetString(PolicyAttribute.CcertIssuer);

    public string? CcertFingerprint => GetString(PolicyAttribute.CcertFingerprint);

    public string? CcertPubkeyFingerprint => GetString(PolicyAttribute.CcertPubkeyFingerprint);

    public string? EncryptionProtocol => GetString(PolicyAttribute.EncryptionProtocol);

    public string? EncryptionCipher => GetString(PolicyAttribute.EncryptionCipher);

    public string? PolicyContext => GetString(PolicyAttribute.PolicyContext);

    /// <summary>Whether the attribute was present (possibly with an empty value).</summary>
    public bool Has(PolicyAttribute attribute) => _starts[(int)attribute] >= 0;

    /// <summary>The raw UTF-8 value; empty when absent (use <see cref="Has"/> to tell).</summary>
    public ReadOnlySpan<byte> GetUtf8(PolicyAttribute attribute)
    {
        var start = _starts[(int)attribute];
        return start < 0 ? default : _buffer.AsSpan(start, _lengths[(int)attribute]);
    }

    /// <summary>The value as a string, made once per request; null when absent.</summary>
    public string? GetString(PolicyAttribute attribute)
    {
        var index = (int)attribute;
        var start = _starts[index];
        if (start < 0)
        {
            return null;
        }

        return _strings[index] ??= _lengths[index] == 0 ? string.Empty : Encoding.UTF8.GetString(_buffer, start, _lengths[index]);
    }

    /// <summary>Compares a value without making a string, e.g. <c>request.ValueEquals(PolicyAttribute.SaslMethod, "plain"u8)</c>.</summary>
    public bool ValueEquals(PolicyAttribute attribute, ReadOnlySpan<byte> utf8) =>
        Has(attribute) && GetUtf8(attribute).SequenceEqual(utf8);

    /// <summary>Forgets the current request; the buffer is kept for the next one.</summary>
    public void Reset()
    {
        Array.Fill(_starts, -1);
        Array.Clear(_lengths);
        Array.Clear(_strings);
        _used = 0;
        AttributeCount = 0;
        ByteCount = 0;
        ProtocolState = PolicyProtocolState.Unknown;
        RecipientCount = -1;
        Size = -1;
        EncryptionKeySize = -1;
    }

    /// <summary>Copies a line that spans segments (without its newline) to the free end of the buffer.</summary>
    internal ReadOnlySpan<byte> Append(ReadOnlySequence<byte> line, out int start)
    {
        var length = (int)line.Length;
        EnsureFree(length);
        start = _used;
        var target = _buffer.AsSpan(start, length);
        line.CopyTo(target);
        return target;
    }

    /// <summary>
    /// Keeps a value. The value may already lie at the free end of the buffer (copied there by
    /// <see cref="Append"/>); the copy is then a move within the buffer.
    /// </summary>
    internal void Keep(PolicyAttribute attribute, ReadOnlySpan<byte> value)
    {
        EnsureFree(value.Length);
        var start = _used;
        value.CopyTo(_buffer.AsSpan(start));
        _used += value.Length;
        var index = (int)attribute;
        _starts[index] = start;
        _lengths[index] = value.Length;
        _strings[index] = null;
        var kept = _buffer.AsSpan(start, value.Length);
        switch (attribute)
        {
            case PolicyAttribute.ProtocolState:
                ProtocolState = PolicyProtocolStates.Parse(kept);
                break;
            case PolicyAttribute.RecipientCount:
                RecipientCount = ParseNumber(kept);
                break;
            case PolicyAttribute.Size:
                Size = ParseNumber(kept);
                break;
            case PolicyAttribute.EncryptionKeysize:
                EncryptionKeySize = (int)Math.Min(int.MaxValue, ParseNumber(kept));
                break;
        }
    }

    private void EnsureFree(int length)
    {
        if (_used + length > _buffer.Length)
        {
            // Bounded by MaxRequestSize: the parser refuses a request before it gets that far.
            var grown = new byte[Math.Max(_buffer.Length * 2, _used + length)];
            _buffer.AsSpan(0, _used).CopyTo(grown);
            _buffer = grown;
        }
    }

    private static long ParseNumber(ReadOnlySpan<byte> value) =>
        Utf8Parser.TryParse(value, out long number, out var consumed) && consumed == value.Length && number >= 0 ? number : -1;
}
