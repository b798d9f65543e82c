namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>Why a policy request was refused. <see cref="None"/> with a false result means "need more data".</summary>
public enum PolicyParseError : byte
{
    None,

    /// <summary>A line is longer than <see cref="PolicyRequestLimits.MaxLineLength"/>.</summary>
    LineTooLong,

    /// <summary>More attribute lines than <see cref="PolicyRequestLimits.MaxAttributes"/>.</summary>
    TooManyAttributes,

    /// <summary>More bytes than <see cref="PolicyRequestLimits.MaxRequestSize"/>.</summary>
    RequestTooLarge,

    /// <summary>A line without '=' or with an empty name.</summary>
    MalformedLine,

    /// <summary>An empty line before any attribute.</summary>
    EmptyRequest,

    /// <summary>The request attribute is missing or is not smtpd_access_policy.</summary>
    UnsupportedRequest,
}
