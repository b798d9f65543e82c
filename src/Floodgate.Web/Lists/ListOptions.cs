using Floodgate.Core.Lists;

namespace Floodgate.Web.Lists;

/// <summary>A DKIM key to sign one domain's list mail with (RFC 6376); the public half is published at selector._domainkey.domain.</summary>
public sealed class DkimKeyOptions
{
    public string Domain { get; set; } = string.Empty;

    public string Selector { get; set; } = string.Empty;

    /// <summary>A PEM file holding the RSA private key.</summary>
    public string KeyFile { get; set; } = string.Empty;
}

/// <summary>The list service, bound from the "Lists" section.</summary>
public sealed class ListOptions
{
    /// <summary>How long a confirmation link works.</summary>
    public TimeSpan ConfirmationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Members read per database round trip while a post is expanded: memory stays bounded whatever the list's size.</summary>
    public int DeliveryPageSize { get; set; } = 500;

    /// <summary>How often pending requests are pruned and long-disabled members removed.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    public List<DkimKeyOptions> DkimKeys { get; set; } = [];

    /// <summary>
    /// Subscription requests through the public form per client IP address per hour: each sends a
    /// confirmation, so an open form would otherwise let anyone mail any address from the provider's
    /// IPs (subscription bombing). Beyond it the form answers 429.
    /// </summary>
    public int SubscriptionsPerClientAddressPerHour { get; set; } = 20;

    /// <summary>Subscription requests through the public form per list per hour, from all addresses together.</summary>
    public int SubscriptionsPerListPerHour { get; set; } = 500;

    public HygieneOptions Hygiene { get; set; } = new();

    public List<string> Validate()
    {
        var errors = new List<string>();
        if (ConfirmationLifetime < TimeSpan.FromHours(1) || ConfirmationLifetime > TimeSpan.FromDays(90))
            errors.Add("Lists:ConfirmationLifetime: must be between 1 hour and 90 days");
        if (DeliveryPageSize is < 1 or > 10_000)
            errors.Add("Lists:DeliveryPageSize: must be between 1 and 10000");
        if (SubscriptionsPerClientAddressPerHour < 1 || SubscriptionsPerListPerHour < 1)
            errors.Add("Lists:SubscriptionsPerClientAddressPerHour and Lists:SubscriptionsPerListPerHour: must be at least 1");
        if (MaintenanceInterval < TimeSpan.FromSeconds(1))
            errors.Add("Lists:MaintenanceInterval: must be at least a second");
        foreach (var key in DkimKeys)
        {
            if (string.IsNullOrWhiteSpace(key.Domain) || string.IsNullOrWhiteSpace(key.Selector) || string.IsNullOrWhiteSpace(key.KeyFile))
                errors.Add("Lists:DkimKeys: each key needs Domain, Selector and KeyFile");
            else if (!File.Exists(key.KeyFile))
                errors.Add($"Lists:DkimKeys: {key.Domain}: the key file {key.KeyFile} does not exist");
            else if (!IsRsaKey(key.KeyFile))
                errors.Add($"Lists:DkimKeys: {key.Domain}: {key.KeyFile} holds no PEM RSA private key");
        }

        errors.AddRange(Hygiene.Validate());
        return errors;
    }

    private static bool IsRsaKey(string file)
    {
        try
        {
            using var rsa = System.Security.Cryptography.RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(file));
            return true;
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
