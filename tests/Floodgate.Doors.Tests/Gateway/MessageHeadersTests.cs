using System.Text;
using Floodgate.Core.Fingerprinting;
using Floodgate.Doors.Gateway;

namespace Floodgate.Doors.Tests.Gateway;

public sealed class MessageHeadersTests
{
    [Fact]
    public void AFoldedListUnsubscribeIsReadWithItsContinuationLines()
    {
        var message = "From: ann@acme.test\r\nList-Unsubscribe: <javascript:void(0)>,\r\n <https://lists.acme.test/leave>\r\nMessage-ID: <m1@acme.test>\r\n\r\nHello\r\n";
        Assert.True(MessageHeaders.TryRead(Encoding.ASCII.GetBytes(message), out var messageId, out var signals));
        Assert.Equal(ListSignals.Unsubscribe | ListSignals.WorkingUnsubscribe, signals);
        Assert.Equal("m1@acme.test", messageId);
    }

    [Fact]
    public void PrecedenceAndListFieldsOfTheHeaderBlockAreRecorded()
    {
        var message = "From: ann@acme.test\r\nPrecedence: bulk\r\nList-Id: <members.acme.test>\r\n\r\nList-Id: in the body, not a field\r\n";
        Assert.True(MessageHeaders.TryRead(Encoding.ASCII.GetBytes(message), out _, out var signals));
        Assert.Equal(ListSignals.PrecedenceBulk | ListSignals.ListFields, signals);
    }

    [Fact]
    public void AMessageWithoutListFieldsHasNoSignals()
    {
        Assert.True(MessageHeaders.TryRead("From: ann@acme.test\r\nSubject: lunch\r\n\r\nNoon?\r\n"u8, out _, out var signals));
        Assert.Equal(ListSignals.None, signals);
    }
}
