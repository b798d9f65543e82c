using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Floodgate.Storage;

/// <summary>DateTimeOffset as Unix milliseconds (UTC); the offset is not kept.</summary>
internal sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.ToUnixTimeMilliseconds(),
    v => DateTimeOffset.FromUnixTimeMilliseconds(v));
