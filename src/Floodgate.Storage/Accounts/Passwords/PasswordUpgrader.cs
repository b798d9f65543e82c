using System.Collections.Concurrent;
using System.Threading.Channels;
using Floodgate.Core.Accounts;
using Microsoft.Extensions.Logging;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// Rehashes a mailbox's password with the default scheme after a good login against a weak or
/// imported hash (<see cref="PasswordHasher.NeedsRehash"/>), and stores it. The login only queues:
/// one background loop runs the KDF (one core at most) and the database write, off every reply path.
/// A full queue drops the upgrade; the next good login offers it again.
/// </summary>
public sealed partial class PasswordUpgrader : IPasswordUpgrader, IAsyncDisposable
{
    public const string Actor = "system";

    private readonly AccountStore _store;
    private readonly PasswordHasher _hasher;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, byte> _queued = new();
    private readonly Channel<Request> _queue = Channel.CreateBounded<Request>(
        new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task _loop;

    public PasswordUpgrader(AccountStore store, PasswordHasher hasher, ILogger<PasswordUpgrader> logger)
    {
        _store = store;
        _hasher = hasher;
        _logger = logger;
        _loop = Task.Run(UpgradeLoopAsync);
    }

    public void Verified(MailboxState mailbox, string verifiedHash, string password)
    {
        // Parsing only, no KDF: cheap enough for the reply path. One queued upgrade per mailbox.
        if (!_hasher.NeedsRehash(verifiedHash) || !_queued.TryAdd(mailbox.Id, 0))
        {
            return;
        }

        if (!_queue.Writer.TryWrite(new Request(mailbox, verifiedHash, password)))
        {
            _queued.TryRemove(mailbox.Id, out _);
        }
    }

    /// <summary>Waits until every upgrade queued so far is written (tests, and an orderly stop).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task UpgradeLoopAsync()
    {
        await foreach (var r in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                var upgraded = _hasher.Hash(r.Password);

                // Before the write: the directory's next load then sees this exact change and keeps the
                // session stamp (MailboxState.ExpectRehash), so the sessions already logged in go on.
                r.Mailbox.ExpectRehash(r.VerifiedHash, upgraded);
                if (await _store.UpgradePasswordHashAsync(r.Mailbox.Id, r.VerifiedHash, upgraded, Actor).ConfigureAwait(false))
                {
                    LogUpgraded(_logger, r.Mailbox.Address, PasswordSchemes.Of(r.VerifiedHash)?.Name ?? "unknown");
                }
                else
                {
                    LogSuperseded(_logger, r.Mailbox.Address);
                }
            }
            catch (Exception ex)
            {
                // The loop outlives a database that did not answer: the next good login offers the upgrade again.
                LogFailed(_logger, r.Mailbox.Address, ex.Message);
            }
            finally
            {
                _queued.TryRemove(r.Mailbox.Id, out _);
            }
        }
    }

    private sealed record Request(MailboxState Mailbox, string VerifiedHash, string Password);

    [LoggerMessage(Level = LogLevel.Information, Message = "The password hash of {Mailbox} was upgraded from {Scheme} to the default scheme")]
    private static partial void LogUpgraded(ILogger logger, string mailbox, string scheme);

    [LoggerMessage(Level = LogLevel.Information, Message = "The password hash of {Mailbox} changed before its upgrade was written; the new one was kept")]
    private static partial void LogSuperseded(ILogger logger, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The password hash of {Mailbox} was not upgraded: {Error}")]
    private static partial void LogFailed(ILogger logger, string mailbox, string error);
}
