using System.Globalization;

namespace Floodgate.Storage.Accounts;

/// <summary>Normalises and checks names and addresses. Never throws on input; returns an error text.</summary>
internal static class AccountValidation
{
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    /// <summary>Lower-case A-label form (RFC 5890), e.g. "Bücher.Example" → "xn--bcher-kva.example".</summary>
    public static bool TryNormalizeDomain(string? input, out string domain, out string? error)
    {
        domain = "";
        var text = input?.Trim().TrimEnd('.') ?? "";
        if (text.Length == 0)
        {
            error = "domain name is empty";
            return false;
        }

        string ascii;
        try
        {
            // Lower-case first: UTS 46 maps case, but IdnMapping under invariant globalization may not.
            ascii = Idn.GetAscii(text.ToLowerInvariant()).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = $"\"{text}\" is not a valid domain name";
            return false;
        }

        if (ascii.Length > AccountColumns.DomainName)
        {
            error = $"\"{text}\" is longer than 253 characters";
            return false;
        }

        var labels = ascii.Split('.');
        if (labels.Length < 2)
        {
            error = $"\"{text}\" is not a fully qualified domain name (it needs a dot)";
            return false;
        }

        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(IsLdh))
            {
                error = $"\"{text}\" is not a valid domain name";
                return false;
            }
        }

        if (labels[^1].All(char.IsAsciiDigit))
        {
            error = $"\"{text}\" is an address, not a domain name";
            return false;
        }

        domain = ascii;
        error = null;
        return true;
    }

    /// <summary>Lower-case "local@domain" with the domain in A-label form.</summary>
    public static bool TryNormalizeAddress(string? input, out string address, out string domain, out string? error)
    {
        address = "";
        domain = "";
        var text = input?.Trim() ?? "";
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            error = $"\"{text}\" is not an e-mail address (expected local@domain)";
            return false;
        }

        var local = text[..at];
        if (!IsDotAtom(local) || local.Length > 64)
        {
            error = $"\"{text}\" has an invalid local part (RFC 5321 dot-atom, at most 64 characters)";
            return false;
        }

        if (!TryNormalizeDomain(text[(at + 1)..], out domain, out var domainError))
        {
            error = $"\"{text}\": {domainError}";
            return false;
        }

        address = local.ToLowerInvariant() + "@" + domain;
        error = null;
        return true;
    }

    /// <summary>Digits with an optional leading "+" and common separators; 7 to 15 digits (E.164).</summary>
    public static bool TryNormalizePhone(string? input, out string phone, out string? error)
    {
        phone = input?.Trim() ?? "";
        var digits = 0;
        for (var i = 0; i < phone.Length; i++)
        {
            var c = phone[i];
            if (char.IsAsciiDigit(c))
                digits++;
            else if (c == '+' && i == 0)
                continue;
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                error = $"\"{phone}\" is not a phone number (digits, an optional leading +, spaces, dashes, dots, parentheses)";
                return false;
            }
        }

        if (digits is < 7 or > 15)
        {
            error = $"\"{phone}\" is not a phone number (it needs 7 to 15 digits; E.164 with country code, e.g. +1 555 010 0123)";
            return false;
        }

        error = null;
        return true;
    }

    public static bool TryName(string? input, string what, out string name, out string? error)
    {
        name = input?.Trim() ?? "";
        if (name.Length == 0)
        {
            error = $"{what} is empty";
            return false;
        }

        if (name.Length > AccountColumns.Name || name.Any(char.IsControl))
        {
            error = $"{what} must be at most {AccountColumns.Name} printable characters";
            return false;
        }

        error = null;
        return true;
    }

    public static bool TryPassword(string? password, out string? error)
    {
        if (string.IsNullOrEmpty(password) || password.Length < 8)
        {
            error = "password must be at least 8 characters";
            return false;
        }

        if (password.Length > 512)
        {
            error = "password must be at most 512 characters";
            return false;
        }

        error = null;
        return true;
    }

    private static bool IsLdh(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-';

    // RFC 5322 3.2.3 atext, plus UTF-8 for RFC 6531 (SMTPUTF8) local parts.
    private static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+/=?^_`{|}~-".Contains(c) || (c > 0x7f && !char.IsControl(c) && !char.IsWhiteSpace(c));

    private static bool IsDotAtom(string local)
    {
        if (local.Length == 0 || local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
            return false;
        foreach (var c in local)
        {
            if (c != '.' && !IsAtext(c))
                return false;
        }

        return true;
    }
}
