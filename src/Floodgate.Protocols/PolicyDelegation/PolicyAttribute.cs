namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// The attributes of a Postfix policy request Floodgate keeps (SMTPD_POLICY_README, "Protocol description").
/// Attributes not listed here are accepted and ignored.
/// </summary>
public enum PolicyAttribute
{
    Request,
    ProtocolState,
    ProtocolName,
    HeloName,
    QueueId,
    Sender,
    Recipient,
    RecipientCount,
    ClientAddress,
    ClientName,
    ReverseClientName,
    ClientPort,
    Instance,
    SaslMethod,
    SaslUsername,
    SaslSender,
    Size,
    CcertSubject,
    CcertIssuer,
    CcertFingerprint,
    CcertPubkeyFingerprint,
    EncryptionProtocol,
    EncryptionCipher,
    EncryptionKeysize,
    EtrnDomain,
    Stress,
    PolicyContext,
    ServerAddress,
    ServerPort,
}

/// <summary>The wire names of <see cref="PolicyAttribute"/>, looked up without allocation.</summary>
internal static class PolicyAttributeNames
{
    public const int Count = (int)PolicyAttribute.ServerPort + 1;

    // Indexed by PolicyAttribute.
    private static readonly byte[][] Names =
    [
        "request"u8.ToArray(),
        "protocol_state"u8.ToArray(),
        "protocol_name"u8.ToArray(),
        "helo_name"u8.ToArray(),
        "queue_id"u8.ToArray(),
        "sender"u8.ToArray(),
        "recipient"u8.ToArray(),
        "recipient_count"u8.ToArray(),
        "client_address"u8.ToArray(),
        "client_name"u8.ToArray(),
        "reverse_client_name"u8.ToArray(),
        "client_port"u8.ToArray(),
        "instance"u8.ToArray(),
        "sasl_method"u8.ToArray(),
        "sasl_username"u8.ToArray(),
        "sasl_sender"u8.ToArray(),
        "size"u8.ToArray(),
        "ccert_subject"u8.ToArray(),
        "ccert_issuer"u8.ToArray(),
        "ccert_fingerprint"u8.ToArray(),
        "ccert_pubkey_fingerprint"u8.ToArray(),
        "encryption_protocol"u8.ToArray(),
        "encryption_cipher"u8.ToArray(),
        "encryption_keysize"u8.ToArray(),
        "etrn_domain"u8.ToArray(),
        "stress"u8.ToArray(),
        "policy_context"u8.ToArray(),
        "server_address"u8.ToArray(),
        "server_port"u8.ToArray(),
    ];

    public static ReadOnlySpan<byte> NameOf(PolicyAttribute attribute) => Names[(int)attribute];

    public static bool TryLookup(ReadOnlySpan<byte> name, out PolicyAttribute attribute)
    {
        // About 30 names: a length check rejects almost all before any byte comparison.
        var names = Names;
        for (var i = 0; i < names.Length; i++)
        {
            var candidate = names[i];
            if (candidate.Length == name.Length && candidate[0] == name[0] && name.SequenceEqual(candidate))
            {
                attribute = (PolicyAttribute)i;
                return true;
            }
        }

        attribute = default;
        return false;
    }
}
