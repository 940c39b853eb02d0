using System.Globalization;

namespace Coin.Plugins.Datasets.MiniCoin;

/// <summary>The base model's second stage in miniature, LLaVA's visual instruction tuning: a general mix of
/// instructions over the same kinds of scenes, in several phrasings and answer formats, so that the base model follows
/// instructions it has not seen in that exact wording. None of it is one of the eight stream tasks in its format: no
/// lettered options (ScienceQA), no boxes (Grounding), no "Unanswerable" (VizWiz), no colour of a shape named by its
/// place (GQA). Like LLaVA's own mix, it overlaps the stream's skills (naming, counting, reading), which is what gives
/// a base model a zero-shot row above chance.</summary>
internal static partial class MiniCoinTasks
{
    /// <summary>How an answer is asked for; the last is the suffix LLaVA-1.5's mix uses for short answers.</summary>
    private static readonly string[] OneWord = ["Answer with one word.", "Reply in a single word.", "Give only the answer.", Short];

    private static readonly string[] Describe =
        ["Describe the image briefly.", "What do you see in this picture?", "Give a short description of the image.", "Tell me what the image shows."];

    private static MiniCoinExample Instructions(Random random, int size)
    {
        string Ask(string question) => question + "\n" + Pick(random, OneWord);
        var canvas = new Canvas(size, Background);
        var color = Pick(random, Colors);
        string shape = Pick(random, Shapes);
        switch (random.Next(9))
        {
            case 0:
            {
                // A caption under another wording than the first stage's single one.
                var caption = Captions(random, size);
                return new(Pick(random, Describe), caption.Answer, [], caption.Image);
            }
            case 1:
            {
                var b = Box(random, size, 0, size);
                canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                if (random.Next(2) == 0) canvas.Noise(random, 12);
                string[] asks = ["Which colour does the object have?", "Name the colour of the shape.", "What colour is it?"];
                return new(Ask(Pick(random, asks)), color.Name, [], canvas);
            }
            case 2:
            {
                var b = Box(random, size, 0, size);
                canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                string[] asks = ["Name the shape in the picture.", "Which kind of shape is drawn?", "What shape do you see?"];
                return new(Ask(Pick(random, asks)), shape, [], canvas);
            }
            case 3:
            {
                var drawn = ShapeGrid(random, canvas, random.Next(1, 5), color.Rgb);
                string[] asks = ["Count the shapes.", "How many objects are in the picture?", "What is the number of shapes?"];
                return new(Pick(random, asks) + "\nAnswer with a number.", drawn.Count.ToString(CultureInfo.InvariantCulture), [], canvas);
            }
            case 4:
            {
                // Compare two objects: which kind is in a place (the stream's GQA asks for a colour instead).
                bool stacked = random.Next(2) == 0;
                var pair = Pair(random, canvas, size, stacked);
                var asked = pair[random.Next(2)];
                string place = PairPlaces[stacked ? 1 : 0][asked.Place];
                var other = pair[1 - asked.Place];
                var named = random.Next(2) == 0 ? (asked.Shape, other.Shape) : (other.Shape, asked.Shape);
                return new(Ask($"Which one is {place}, the {named.Item1} or the {named.Item2}?"), asked.Shape, [], canvas);
            }
            case 5:
            {
                string word = Pick(random, Words);
                SignText(random, canvas, word, color.Rgb);
                string[] asks = ["Read the text in the image.", "Which word can you read?", "Transcribe the word shown."];
                return new(Pick(random, asks) + "\nWrite it in lowercase.", word.ToLowerInvariant(), [], canvas);
            }
            case 6:
            {
                var b = Box(random, size, 0, size);
                canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                bool askColor = random.Next(2) == 0;
                string asked = askColor ? Pick(random, Colors).Name : Pick(random, Shapes);
                bool yes = askColor ? asked == color.Name : asked == shape;
                string question = askColor ? $"Is the shape {asked}?" : $"Is this a {asked}?";
                return new(question + "\nAnswer yes or no.", yes ? "yes" : "no", [], canvas);
            }
            case 7:
            {
                // A choice spelled out in the question and answered by the word (ScienceQA answers by a letter).
                var b = Box(random, size, 0, size);
                canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                var choices = Colors.Select(c => c.Name).Where(n => n != color.Name).OrderBy(_ => random.Next()).Take(2).Append(color.Name)
                    .OrderBy(_ => random.Next()).ToList();
                return new($"Is the shape {choices[0]}, {choices[1]} or {choices[2]}?\nAnswer with the colour.", color.Name, [], canvas);
            }
            default:
            {
                var genre = Pick(random, Genres);
                string title = Pick(random, Words), author = Pick(random, Authors);
                canvas = BookCover(size, genre.Rgb, title, author);
                return random.Next(2) == 0
                    ? new(Ask("What does the cover say the book is called?"), title.ToLowerInvariant(), [], canvas)
                    : new(Ask("Whose name is printed at the bottom of the cover?"), author.ToLowerInvariant(), [], canvas);
            }
        }
    }
}
