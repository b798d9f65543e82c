using Floodgate.Storage.Enforcement;

namespace Floodgate.Web.Portal;

/// <summary>The model of the partial that shows one offense on the mailbox and the incident pages.</summary>
public sealed record PortalOffense(ClientOffense Offense);
