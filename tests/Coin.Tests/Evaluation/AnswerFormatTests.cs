using Coin.Engine.Results;

namespace Coin.Tests.Evaluation;

/// <summary>Instruction-format analysis: formats read off references, answers counted in their own and others' formats.</summary>
public class AnswerFormatTests
{
    private static AnswerFormats Formats() => new([
        ("ScienceQA", ["A", "B", "C", "D"]),
        ("Grounding", ["[0.1, 0.2, 0.3, 0.4]", "[0.5, 0.5, 0.9, 0.9]"]),
        ("ImageNet", ["cat", "dog", "goldfish", "cat", "dog", "goldfish"]),
        ("Counting", ["3", "12"]),
        ("Free", Enumerable.Range(0, 150).Select(i => $"answer number {i}").ToList()),
    ]);

    [Test]
    public void Formats_are_read_off_the_references()
    {
        var formats = Formats();
        Assert.That(formats.FormatOf["ScienceQA"], Is.EqualTo("option letter"));
        Assert.That(formats.FormatOf["Grounding"], Is.EqualTo("box"));
        Assert.That(formats.FormatOf["ImageNet"], Is.EqualTo("ImageNet's vocabulary"));
        Assert.That(formats.FormatOf["Counting"], Is.EqualTo("number"));
        Assert.That(formats.FormatOf["Free"], Is.EqualTo("free text"), "more than 100 distinct answers: no closed format");
        Assert.That(new AnswerFormats([("Captions", ["a red circle", "two squares", "a blue star"])]).FormatOf["Captions"], Is.EqualTo("free text"),
            "a few answers used once each are a small free-text test set, not a vocabulary");
    }

    [Test]
    public void Answers_in_another_tasks_format_are_counted_as_the_collapse()
    {
        // Four ScienceQA answers: its own letter, a box (Grounding's), a class name (ImageNet's) and free text.
        var share = Formats().Measure("ScienceQA", ["B.", "[0.1, 0.2, 0.3, 0.5]", "Cat", "hello there"]);
        Assert.That(share.InOwnFormat, Is.EqualTo(25));
        Assert.That(share.InOtherFormat, Is.EqualTo(50), "the box and the class name");
        Assert.That(share.ByFormat["box"], Is.EqualTo(25));
        Assert.That(share.ByFormat["ImageNet's vocabulary"], Is.EqualTo(25));
        Assert.That(share.ByFormat["number"], Is.EqualTo(0));
        Assert.That(share.InNoFormat, Is.EqualTo(25), "free text is no task's format here");
        Assert.That(double.IsNaN(Formats().Measure("Free", ["B"]).InOwnFormat), "a free-text task has no format of its own to check");
        Assert.That(Formats().Measure("Free", ["B"]).InOtherFormat, Is.EqualTo(100), "but a letter is ScienceQA's format");
    }
}
