using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Tests.Fingerprinting;

/// <summary>Anchors find a text inside any amount of filler, and unrelated texts share almost none.</summary>
public sealed class ContainmentTests
{
    private const string Pitch =
        "Our warehouse clearance starts today and every printer cartridge is half price until Sunday. " +
        "Orders placed before noon ship the same day, and delivery is free on every order over twenty dollars. " +
        "Pay on delivery or by card, and return anything you do not like within thirty days for a full refund. " +
        "Stock is limited, so reserve yours now on our website.";

    private static readonly string[] Vocabulary =
    [
        "river", "table", "garden", "window", "silver", "morning", "letter", "market", "winter", "yellow", "paper", "engine",
        "forest", "button", "coffee", "island", "ladder", "mirror", "pencil", "rocket", "saddle", "timber", "velvet", "walnut",
        "anchor", "basket", "candle", "dragon", "feather", "harbor", "jacket", "kettle", "lemon", "meadow", "needle", "orange",
        "pepper", "quartz", "ribbon", "shadow", "thunder", "valley", "wagon", "zephyr", "bridge", "castle", "desert", "falcon",
    ];

    [Theory]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(300)]
    [InlineData(800)]
    public void ThePitchIsFoundInsideFiller(int fillerWords)
    {
        var random = new Random(fillerWords);
        var a = PayloadTests.Text(Filler(random, fillerWords) + "\n\n" + Pitch + "\n\n" + Filler(random, fillerWords / 2));
        var b = PayloadTests.Text(Filler(random, fillerWords / 3) + "\n\n" + Pitch + "\n\n" + Filler(random, fillerWords));

        Assert.True(a.SharedAnchors(b) >= 6, $"{a.SharedAnchors(b)} shared anchors");
    }

    [Fact]
    public void UnrelatedTextsOfTheSameWordsShareFewAnchors()
    {
        var random = new Random(11);
        var worst = 0;
        for (int i = 0; i < 200; i++)
        {
            var a = PayloadTests.Text(Filler(random, 300));
            var b = PayloadTests.Text(Filler(random, 300));
            worst = Math.Max(worst, a.SharedAnchors(b));
        }

        Assert.True(worst < 6, $"{worst} shared anchors between unrelated texts");
    }

    private static string Filler(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));
}
