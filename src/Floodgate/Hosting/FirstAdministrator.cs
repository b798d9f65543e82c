using System.Security.Cryptography;
using Floodgate.Storage.Access;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// A fresh installation has nobody who could sign in to the console. At the first start an
/// administrator "admin" is made with a random password written to data/initial-admin-password
/// (mode 0600): the log says where, never what.
/// </summary>
internal static partial class FirstAdministrator
{
    public const string Login = "admin";
    public const string FileName = "initial-admin-password";

    public static async Task EnsureAsync(AccessStore access, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        if (await access.AnyUserAsync(cancellationToken))
        {
            return;
        }

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        var path = Path.Combine(dataDirectory, FileName);
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await File.WriteAllTextAsync(path, password + "\n", cancellationToken);
        await access.AddUserAsync(new NewWebUser(Login, "Administrator", WebRole.Administrator, password), "serve", cancellationToken);
        LogCreated(logger, Login, Path.GetFullPath(path));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No console account existed: made administrator \"{Login}\"; its password is in {Path}. Sign in and change it.")]
    private static partial void LogCreated(ILogger logger, string login, string path);
}
