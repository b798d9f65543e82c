namespace Floodgate.Storage.Accounts;

public enum MailboxFileFormat
{
    /// <summary>Decided from the content: a first line naming an <c>address</c> column is CSV, anything else a passwd-file.</summary>
    Auto,
    Csv,
    Passwd,
}

/// <summary>
/// One mailbox as a provisioning file states it. At most one of <see cref="Password"/> (plaintext,
/// hashed on import) and <see cref="PasswordHash"/> (already in stored form, see
/// <see cref="PasswordSchemes.TryRead"/>); neither means the file says nothing about the password.
/// </summary>
/// <param name="StatesDisplayName">False when the file has no display-name column: the name is left as it is.</param>
public sealed record MailboxLine(int Line, string Address, string DomainName, string? Password, string? PasswordHash, string? DisplayName, bool StatesDisplayName);

/// <summary>
/// Reads the files a provider provisions mailboxes from: CSV with a header row
/// (<c>address</c>, and <c>password</c> or <c>password_hash</c>, and optionally <c>display_name</c>,
/// in any order) or a Dovecot passwd-file (<c>user:{SCHEME}hash:uid:gid:gecos:home:shell:extra</c>,
/// the user being the full address, the GECOS field the display name). Every bad line is reported
/// as "line N: ..." and none is dropped silently.
/// </summary>
public static class MailboxFile
{
    /// <summary>Files this size and above are refused: 10,000 mailboxes take about 1 MiB.</summary>
    public const int MaxBytes = 64 * 1024 * 1024;

    private static readonly string[] CsvColumns = ["address", "password", "password_hash", "display_name"];

    public static bool TryRead(string text, MailboxFileFormat format, bool allowWeakHashes, out List<MailboxLine> lines, out List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (format == MailboxFileFormat.Auto)
            format = LooksLikeCsv(text) ? MailboxFileFormat.Csv : MailboxFileFormat.Passwd;
        return format == MailboxFileFormat.Csv
            ? TryReadCsv(text, allowWeakHashes, out lines, out errors)
            : TryReadPasswd(text, allowWeakHashes, out lines, out errors);
    }

    /// <summary>Reads a whole file or stream, refusing one of <see cref="MaxBytes"/> or more.</summary>
    public static async Task<string> ReadAllAsync(TextReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var buffer = new char[81920];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length >= MaxBytes)
                throw new AccountException(AccountError.Invalid, $"The file is too large: at most {MaxBytes / 1024 / 1024} MiB.");
        }

        return text.ToString();
    }

    private static bool LooksLikeCsv(string text)
    {
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim().Length == 0)
                continue;
            return line.Split(',').Any(f => f.Trim().Trim('"').Equals("address", StringComparison.OrdinalIgnoreCase));
        }

        return false;
    }

    private static bool TryReadCsv(string text, bool allowWeakHashes, out List<MailboxLine> lines, out List<string> errors)
    {
        lines = [];
        errors = [];
        if (!CsvReader.TryReadAll(new StringReader(text), out var records, out var csvError))
        {
            errors.Add(csvError!);
            return false;
        }

        if (records.Count == 0)
        {
            errors.Add("the file is empty; expected a header row address,password[,display_name] or address,password_hash[,display_name]");
            return false;
        }

        var header = records[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        int address = header.IndexOf("address"), password = header.IndexOf("password"), hash = header.IndexOf("password_hash"), name = header.IndexOf("display_name");
        if (address < 0 || (password < 0 && hash < 0) || header.Any(h => !CsvColumns.Contains(h)) || header.Distinct().Count() != header.Count)
        {
            errors.Add($"line {records[0].Line}: expected the header row address,password[,display_name] (or password_hash instead of or beside password), got \"{string.Join(",", records[0].Fields)}\"");
            return false;
        }

        foreach (var record in records.Skip(1))
        {
            if (record.Fields.Count != header.Count)
            {
                errors.Add($"line {record.Line}: expected {header.Count} fields, found {record.Fields.Count}");
                continue;
            }

            var plain = password >= 0 && record.Fields[password].Length > 0 ? record.Fields[password] : null;
            var stored = hash >= 0 && !string.IsNullOrWhiteSpace(record.Fields[hash]) ? record.Fields[hash] : null;
            if (plain is null && stored is null)
            {
                errors.Add($"line {record.Line}: {record.Fields[address].Trim()}: give a password or a password_hash");
                continue;
            }

            if (plain is not null && stored is not null)
            {
                errors.Add($"line {record.Line}: {record.Fields[address].Trim()}: give a password or a password_hash, not both");
                continue;
            }

            Add(record.Line, record.Fields[address], plain, stored, name >= 0 ? record.Fields[name] : null, name >= 0, allowWeakHashes, lines, errors);
        }

        return Finish(lines, errors);
    }

    private static bool TryReadPasswd(string text, bool allowWeakHashes, out List<MailboxLine> lines, out List<string> errors)
    {
        lines = [];
        errors = [];
        using var reader = new StringReader(text);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
                continue;

            // user:password:uid:gid:(gecos):home:(shell):extra_fields; only the first two are required.
            var fields = line.Split(':');
            if (fields.Length < 2)
            {
                errors.Add($"line {number}: expected user:{{SCHEME}}hash[:uid:gid:gecos:home:shell:extra_fields], found no ':'");
                continue;
            }

            var password = fields[1];
            string? plain = null, stored = null;
            if (password.Length > 0)
            {
                // {PLAIN} and {CLEAR} are Dovecot's plaintext schemes: hashed here like a CSV password.
                if (password.StartsWith("{PLAIN}", StringComparison.OrdinalIgnoreCase) || password.StartsWith("{CLEAR}", StringComparison.OrdinalIgnoreCase))
                    plain = password[7..];
                else
                    stored = password;
            }

            var gecos = fields.Length > 4 ? fields[4] : null;
            Add(number, fields[0], plain, stored, gecos, statesName: true, allowWeakHashes, lines, errors);
        }

        if (lines.Count == 0 && errors.Count == 0)
            errors.Add("the file holds no mailboxes");
        return Finish(lines, errors);
    }

    private static void Add(int line, string rawAddress, string? plain, string? stored, string? rawName, bool statesName, bool allowWeakHashes, List<MailboxLine> lines, List<string> errors)
    {
        if (!AccountValidation.TryNormalizeAddress(rawAddress, out var address, out var domainName, out var error))
        {
            errors.Add($"line {line}: {error}");
            return;
        }

        if (plain is not null && !AccountValidation.TryPassword(plain, out error))
        {
            errors.Add($"line {line}: {address}: {error}");
            return;
        }

        if (stored is not null)
        {
            if (!PasswordSchemes.TryRead(stored, allowWeakHashes, out var normalized, out _, out error))
            {
                errors.Add($"line {line}: {address}: {error}");
                return;
            }

            stored = normalized;
        }

        string? name = null;
        if (!string.IsNullOrWhiteSpace(rawName) && !AccountValidation.TryName(rawName, "display name", out name, out error))
        {
            errors.Add($"line {line}: {address}: {error}");
            return;
        }

        lines.Add(new MailboxLine(line, address, domainName, plain, stored, name, statesName));
    }

    private static bool Finish(List<MailboxLine> lines, List<string> errors)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (!first.TryAdd(line.Address, line.Line))
                errors.Add($"line {line.Line}: {line.Address} is already on line {first[line.Address]}");
        }

        return errors.Count == 0;
    }
}
