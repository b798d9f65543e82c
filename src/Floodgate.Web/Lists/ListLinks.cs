using Floodgate.Core.Lists;
using Floodgate.Storage.Lists;

namespace Floodgate.Web.Lists;

/// <summary>The signed links and addresses that act for one member: confirm, unsubscribe, re-enable, and its VERP bounce address.</summary>
public sealed class ListLinks(ListTokens tokens, WebOptions web, ListOptions options, TimeProvider time)
{
    public ListTokens Tokens => tokens;

    public string ConfirmToken(int memberId) => tokens.Create(TokenPurpose.Confirm, memberId, time.GetUtcNow() + options.ConfirmationLifetime);

    // RFC 8058 links sit in mail people keep for years: they do not expire.
    public string UnsubscribeToken(int memberId) => tokens.Create(TokenPurpose.Unsubscribe, memberId, null);

    public string ReenableToken(int memberId) => tokens.Create(TokenPurpose.Reenable, memberId, time.GetUtcNow() + options.Hygiene.ReenableLinkLifetime);

    public string BounceToken(int memberId) => tokens.Create(TokenPurpose.Bounce, memberId, null);

    public string ConfirmUrl(string token) => $"{web.PublicBase}/l/confirm/{token}";

    public string UnsubscribeUrl(string token) => $"{web.PublicBase}/l/unsubscribe/{token}";

    public string ReenableUrl(string token) => $"{web.PublicBase}/l/reenable/{token}";

    public string SubscribeUrl(int listId) => $"{web.PublicBase}/l/{listId}/subscribe";

    public MemberLinks For(MailingList list, int memberId, string address)
    {
        var token = UnsubscribeToken(memberId);
        return new MemberLinks(address, UnsubscribeUrl(token), "mailto:" + ListAddress.Of(list.Address, ListCommand.Unsubscribe, token) + "?subject=unsubscribe");
    }

    public string BounceAddress(MailingList list, int memberId) => ListAddress.Of(list.Address, ListCommand.Bounce, BounceToken(memberId));
}
