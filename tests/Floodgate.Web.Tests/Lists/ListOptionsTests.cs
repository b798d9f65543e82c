using Floodgate.Web.Lists;

namespace Floodgate.Web.Tests.Lists;

public sealed class ListOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid() => Assert.Empty(new ListOptions().Validate());

    [Fact]
    public void AKeyFileThatHoldsNoRsaKeyFailsWithItsName()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "not a key");
        try
        {
            var options = new ListOptions { DkimKeys = [new DkimKeyOptions { Domain = "acme.example", Selector = "fg", KeyFile = file }] };
            Assert.Contains(options.Validate(), e => e.Contains(file, StringComparison.Ordinal) && e.Contains("no PEM RSA private key", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AMissingKeyFileAndBadHygieneAreRefused()
    {
        var options = new ListOptions { DkimKeys = [new DkimKeyOptions { Domain = "acme.example", Selector = "fg", KeyFile = "/nonexistent/key.pem" }] };
        options.Hygiene.RemoveScore = 1;
        options.Hygiene.DisableScore = 2;
        var errors = options.Validate();
        Assert.Contains(errors, e => e.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("RemoveScore", StringComparison.Ordinal));
    }
}
