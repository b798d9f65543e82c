using System.Security.Cryptography;
using Floodgate.Core.Complaints;

namespace Floodgate.Web.Complaints;

/// <summary>
/// The trace header's HMAC key: <c>Complaints:SigningKey</c> when set, else generated into the data
/// directory at first start (complaints.key, readable by the owner only) and kept, so headers of mail
/// sent before a restart still verify. It is a secret: never logged, never shown.
/// </summary>
public static class ComplaintKey
{
    public const string FileName = "complaints.key";

    public static byte[] LoadOrCreate(ComplaintOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SigningKey is { Length: > 0 } configured && ComplaintOptions.TryDecodeKey(configured, out var key))
            return key;

        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path) && ComplaintOptions.TryDecodeKey(File.ReadAllText(path), out var kept) && kept.Length >= FeedbackId.MinKeyBytes)
            return kept;

        Directory.CreateDirectory(dataDirectory);
        var created = RandomNumberGenerator.GetBytes(32);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, string.Empty);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(temporary, Convert.ToBase64String(created));
        File.Move(temporary, path, overwrite: true);
        return created;
    }
}
