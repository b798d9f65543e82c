using Floodgate.Doors.Gateway;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Floodgate.Hosting;

internal static class Certificates
{
    /// <summary>
    /// The configured PKCS#12 certificate, or a self-signed one generated into the data folder at
    /// first start (kept, so clients that pinned it keep working across restarts).
    /// </summary>
    public static X509Certificate2 LoadOrCreate(SmtpOptions smtp, string dataDirectory, TimeProvider time, out string description)
    {
        if (smtp.CertificatePath is { } path)
        {
            description = $"certificate {Path.GetFullPath(path)}";
            return X509CertificateLoader.LoadPkcs12FromFile(path, smtp.CertificatePassword);
        }

        var generated = Path.Combine(dataDirectory, "tls", "self-signed.pfx");
        description = $"self-signed certificate {Path.GetFullPath(generated)}";
        if (File.Exists(generated))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(generated, password: null);
            if (existing.NotAfter > time.GetUtcNow().UtcDateTime.AddDays(7))
            {
                return existing;
            }

            existing.Dispose();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(generated)!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={smtp.Hostname}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(smtp.Hostname);
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(time.GetUtcNow().AddMinutes(-5), time.GetUtcNow().AddYears(2));
        var pfx = created.Export(X509ContentType.Pfx);
        File.WriteAllBytes(generated, pfx);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(generated, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }
}
