using MimeKit;

namespace Floodgate.Web.Notifications;

/// <summary>The notifications: e-mail to the primary contact and signed webhooks. Bound from the "Notifications" section.</summary>
public sealed class NotificationOptions
{
    /// <summary>Off: nothing is sent; events are still recorded and go out once it is on again.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>E-mail the client's primary contact (the types that e-mail); off: webhooks only.</summary>
    public bool Email { get; set; } = true;

    /// <summary>How often the dispatcher looks for due deliveries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts before a delivery is failed for good (still listed, retried by hand). 30 with the default back-off is about a day.</summary>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>The wait after the first failed attempt; it doubles after each one up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Each wait is spread by this fraction either way, so endpoints that failed together do not retry together.</summary>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>Deliveries sent at the same time.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>A webhook that has not answered in this time counts as failed (and is retried).</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a delivery taken for sending is kept from other polls. A process that dies mid-send
    /// leaves it due again after this: it is sent again (at least once). Longer than any send.
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often open contact tasks are checked for being overdue.</summary>
    public TimeSpan OverdueScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The sender of the e-mails (header From and envelope sender).</summary>
    public string From { get; set; } = "Floodgate <postmaster@localhost>";

    /// <summary>
    /// The provider's abuse desk (an e-mail address): it is e-mailed the events that concern no
    /// client, a blocklist listing and its delisting. Null: those go to webhooks only.
    /// </summary>
    public string? AbuseDesk { get; set; }

    /// <summary>How to reach support, said in every notification; null: <c>Policy:SupportContact</c>.</summary>
    public string? Support { get; set; }

    /// <summary>The portal's page for the client, under <c>Web:PublicUrl</c>.</summary>
    public string PortalPath { get; set; } = "/Portal";

    /// <summary>The portal's page of one incident; <c>{incident}</c> is its id.</summary>
    public string PortalIncidentPath { get; set; } = "/Portal/Incidents/{incident}";

    public List<string> Validate()
    {
        var errors = new List<string>();
        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromMinutes(10))
            errors.Add("Notifications:PollInterval: must be between 10 ms and 10 minutes");
        if (MaxAttempts is < 1 or > 1000)
            errors.Add("Notifications:MaxAttempts: must be between 1 and 1000");
        if (RetryInitialDelay < TimeSpan.FromMilliseconds(10))
            errors.Add("Notifications:RetryInitialDelay: must be at least 10 ms");
        if (RetryMaxDelay < RetryInitialDelay)
            errors.Add("Notifications:RetryMaxDelay: must be at least Notifications:RetryInitialDelay");
        if (RetryJitter is < 0 or > 0.5 || double.IsNaN(RetryJitter))
            errors.Add("Notifications:RetryJitter: must be between 0 and 0.5");
        if (MaxConcurrency is < 1 or > 256)
            errors.Add("Notifications:MaxConcurrency: must be between 1 and 256");
        if (WebhookTimeout < TimeSpan.FromMilliseconds(100) || WebhookTimeout > TimeSpan.FromMinutes(5))
            errors.Add("Notifications:WebhookTimeout: must be between 100 ms and 5 minutes");
        if (ClaimLease <= WebhookTimeout)
            errors.Add("Notifications:ClaimLease: must be longer than Notifications:WebhookTimeout, or a slow send would be taken twice");
        if (OverdueScanInterval < TimeSpan.FromMilliseconds(10))
            errors.Add("Notifications:OverdueScanInterval: must be at least 10 ms");
        if (!MailboxAddress.TryParse(From, out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
            errors.Add($"Notifications:From: '{From}' is not an e-mail address (for example \"Abuse desk <abuse@provider.example>\")");
        if (AbuseDesk is not null && (!MailboxAddress.TryParse(AbuseDesk, out var desk) || !desk.Address.Contains('@', StringComparison.Ordinal) || desk.Address != AbuseDesk.Trim()))
            errors.Add($"Notifications:AbuseDesk: '{AbuseDesk}' is not an e-mail address (for example abuse@provider.example)");
        if (Support is not null && string.IsNullOrWhiteSpace(Support))
            errors.Add("Notifications:Support: leave it out or say how to reach support");
        if (!PortalPath.StartsWith('/'))
            errors.Add("Notifications:PortalPath: must start with /");
        if (!PortalIncidentPath.StartsWith('/'))
            errors.Add("Notifications:PortalIncidentPath: must start with /");
        return errors;
    }
}
