using System.Diagnostics;

namespace Floodgate.Storage.Tests.Passwords;

/// <summary>Dovecot's own <c>doveadm pw</c>: the hashes a provider would bring, made by the real component.</summary>
internal static class Doveadm
{
    public static string Pw(string scheme, string password, int? rounds = null)
    {
        var info = new ProcessStartInfo("doveadm") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "pw", "-s", scheme, "-p", password })
        {
            info.ArgumentList.Add(a);
        }

        if (rounds is { } r)
        {
            info.ArgumentList.Add("-r");
            info.ArgumentList.Add(r.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("doveadm did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("doveadm is not installed: install Debian's dovecot-core (apt-get install dovecot-core; test.sh does) to run the password scheme tests. " + ex.Message, ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEnd().Trim();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || !output.StartsWith('{'))
            {
                throw new InvalidOperationException($"doveadm pw -s {scheme} failed ({process.ExitCode}): {error}");
            }

            return output;
        }
    }
}
