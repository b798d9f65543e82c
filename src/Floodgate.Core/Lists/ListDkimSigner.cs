using System.Security.Cryptography;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Floodgate.Core.Lists;

/// <summary>
/// MimeKit's DKIM signer (canonicalisation, the header list, the signature field) with the RSA
/// signature itself made by .NET's RSA, which is the platform's OpenSSL: BouncyCastle's managed
/// RSA-2048 takes about 4 ms a signature, a list signs every copy (bench/RESULTS.md, issue 14).
/// </summary>
public sealed class ListDkimSigner : DkimSigner
{
    private readonly RSA _rsa;

    public ListDkimSigner(string keyFile, string domain, string selector)
        : base(keyFile, domain, selector, DkimSignatureAlgorithm.RsaSha256)
    {
        _rsa = RSA.Create();
        _rsa.ImportFromPem(File.ReadAllText(keyFile));
        HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
    }

    protected override ISigner CreateSigningContext() => new NativeRsaSha256(_rsa);

    /// <summary>RSASSA-PKCS1-v1_5 over SHA-256 (RFC 6376 3.3.1), fed the canonicalised data as MimeKit writes it.</summary>
    private sealed class NativeRsaSha256(RSA rsa) : ISigner
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string AlgorithmName => "SHA-256withRSA";

        public void Init(bool forSigning, ICipherParameters parameters)
        {
            if (!forSigning)
                throw new NotSupportedException("This context only signs.");
        }

        public void Update(byte input) => _hash.AppendData([input]);

        public void BlockUpdate(byte[] input, int inOff, int inLen) => _hash.AppendData(input, inOff, inLen);

        public void BlockUpdate(ReadOnlySpan<byte> input) => _hash.AppendData(input);

        public int GetMaxSignatureSize() => rsa.KeySize / 8;

        public byte[] GenerateSignature() => rsa.SignHash(_hash.GetHashAndReset(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        public bool VerifySignature(byte[] signature) => throw new NotSupportedException("This context only signs.");

        public void Reset() => _hash.GetHashAndReset();
    }
}
