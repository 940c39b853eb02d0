using System.Globalization;

namespace Coin.Plugins.Datasets.MiniCoin;

/// <summary>The tasks of mini-CoIN: CoIN's eight categories in CoIN's order, each drawing small synthetic images with
/// its own question and instruction, plus an audio task. Answers use a small vocabulary so a tiny model can learn
/// each task, while the instruction formats differ as CoIN's do — which is what sequential tuning forgets.</summary>
internal static partial class MiniCoinTasks
{
    public sealed record Definition(string Name, string Modality, string Metric, Func<Random, int, MiniCoinExample> Make);

    private const string Short = "Answer the question using a single word or phrase.";
    private static readonly (string Name, (byte, byte, byte) Rgb)[] Colors =
        [("red", (220, 40, 40)), ("green", (40, 190, 60)), ("blue", (50, 80, 230)), ("yellow", (235, 220, 40)), ("purple", (150, 50, 200))];
    private static readonly string[] Shapes = ["circle", "square", "triangle", "cross", "ring"];
    private static readonly string[] Words = ["STOP", "OPEN", "CAKE", "FISH", "BOOK", "MILK", "TREE", "STAR", "LAMP", "DOOR", "BIKE", "SHOE"];
    private static readonly string[] Authors = ["ANNA", "JOHN", "MARY", "LUKE", "ROSE", "ADAM"];
    private static readonly (string Genre, (byte, byte, byte) Rgb)[] Genres =
        [("romance", (200, 60, 90)), ("science", (40, 90, 200)), ("travel", (40, 160, 80)), ("history", (140, 100, 50))];
    private static readonly (byte, byte, byte) Background = (30, 30, 30);

    public static readonly IReadOnlyList<Definition> All =
    [
        new("ScienceQA", "image", "option-letter", ScienceQa),
        new("TextVQA", "image", "vqa-soft", TextVqa),
        new("ImageNet", "image", "substring", ImageNet),
        new("GQA", "image", "exact-match-gqa", Gqa),
        new("VizWiz", "image", "exact-match", VizWiz),
        new("Grounding", "image", "grounding-iou", Grounding),
        new("VQAv2", "image", "exact-match", VqaV2),
        new("OCRVQA", "image", "exact-match-ocr", OcrVqa),
        new("Tones", "audio", "exact-match", Tones),
        new("Captions", "image", "exact-match", Captions),
        // Last, so that adding it left every other task's generator seed (its index) as it was.
        new("Instructions", "image", "exact-match", Instructions),
    ];

    /// <summary>Tasks that are not part of the default stream: <c>Captions</c> is the pretraining (feature
    /// alignment) data, <c>Instructions</c> the base model's general instruction mix, <c>Tones</c> needs an audio
    /// encoder.</summary>
    public static readonly IReadOnlyList<string> Stream = ["ScienceQA", "TextVQA", "ImageNet", "GQA", "VizWiz", "Grounding", "VQAv2", "OCRVQA"];

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A box of side 10-15 px fully inside the image, within the horizontal band [minX, maxX).</summary>
    private static (int X0, int Y0, int X1, int Y1) Box(Random random, int size, int minX, int maxX)
    {
        int side = random.Next(size * 5 / 16, size * 15 / 32 + 1);
        int x0 = random.Next(minX, Math.Max(minX + 1, maxX - side + 1));
        int y0 = random.Next(0, size - side + 1);
        return (x0, y0, x0 + side, y0 + side);
    }

    private static readonly string[] QuadrantNames = ["top left", "top right", "bottom left", "bottom right"];

    /// <summary>A box of side 12-14 px (at 32 px) inside one quadrant (0 top left, 1 top right, 2 bottom left, 3 bottom
    /// right). Quadrant cells keep grounding answers learnable by a tiny model: a box in the right cell overlaps the
    /// truth with IoU above 0.5.</summary>
    private static (int X0, int Y0, int X1, int Y1) InQuadrant(Random random, int size, int quadrant)
    {
        int cell = size / 2;
        int side = random.Next(cell * 3 / 4, cell * 7 / 8 + 1);
        int x0 = quadrant % 2 * cell + random.Next(0, cell - side + 1);
        int y0 = quadrant / 2 * cell + random.Next(0, cell - side + 1);
        return (x0, y0, x0 + side, y0 + side);
    }

    /// <summary>Multiple choice with lettered options, answered by the letter. The options are all five colours in a
    /// fixed order: a tiny model learns colour → letter in a few hundred steps, while CoIN's format (options in the
    /// question, the letter as the answer, the instruction on the last line) stays as it is.</summary>
    private static MiniCoinExample ScienceQa(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        var color = Pick(random, Colors);
        var b = Box(random, size, 0, size);
        canvas.Shape(Pick(random, Shapes), b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
        var options = Colors.Select(c => c.Name).ToList();
        const string letters = "ABCDE";
        string question = "What is the color of the shape?\n" + string.Join("\n", options.Select((o, i) => $"{letters[i]}. {o}"))
                          + "\nAnswer with the option's letter from the given choices directly.";
        return new(question, letters[options.IndexOf(color.Name)].ToString(), new() { ["choices"] = options.Count }, canvas);
    }

    private static MiniCoinExample TextVqa(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        string word = Pick(random, Words);
        SignText(random, canvas, word, Pick(random, Colors).Rgb);
        // Ten annotators as in TextVQA: most agree, one may read another word.
        var answers = Enumerable.Repeat(word.ToLowerInvariant(), 10).ToList();
        if (random.Next(2) == 0) answers[random.Next(10)] = Pick(random, Words).ToLowerInvariant();
        return new("What word is written in the image?\n" + Short, word.ToLowerInvariant(), new() { ["answers"] = answers }, canvas);
    }

    /// <summary>A word near the centre (a few pixels of jitter): a tiny CNN learns to read it in a few hundred steps,
    /// which it does not when the word may stand anywhere.</summary>
    private static void SignText(Random random, Canvas canvas, string word, (byte, byte, byte) rgb)
    {
        int x = (canvas.Size - BitmapFont.TextWidth(word)) / 2 + random.Next(-2, 3);
        int y = (canvas.Size - BitmapFont.Height) / 2 + random.Next(-4, 5);
        canvas.Text(word, Math.Max(0, x), Math.Max(0, y), rgb);
    }

    private static MiniCoinExample ImageNet(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        string shape = Pick(random, Shapes);
        var b = Box(random, size, 0, size);
        canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, Pick(random, Colors).Rgb);
        canvas.Noise(random, 12);
        return new("What is the object in the image?\n" + Short, shape, [], canvas);
    }

    /// <summary>Compositional questions about two shapes side by side or one above the other: the colour of the shape
    /// in a given relation (left, right, top, bottom). Harder variants stayed near chance for a tiny model after 300
    /// steps and are left out: shapes in random quadrants, the colour of a shape named by its kind ("what colour is
    /// the triangle?", also after 3,000 steps), the kind of the shape on a side or of a given colour (33–41%), yes/no
    /// checks of an attribute (44–60%).</summary>
    private static MiniCoinExample Gqa(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        bool stacked = random.Next(2) == 0;
        var scene = Pair(random, canvas, size, stacked);
        var asked = scene[random.Next(2)];
        return new($"What color is the shape {PairPlaces[stacked ? 1 : 0][asked.Place]}?\n" + Short, asked.Color, [], canvas);
    }

    /// <summary>How the two places of <see cref="Pair"/> are named: side by side, then stacked.</summary>
    private static readonly string[][] PairPlaces = [["on the left", "on the right"], ["at the top", "at the bottom"]];

    private static MiniCoinExample VizWiz(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        var color = Pick(random, Colors);
        var b = Box(random, size, 0, size);
        canvas.Shape(Pick(random, Shapes), b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
        bool unanswerable = random.Next(4) == 0;
        canvas.Blur(unanswerable ? 4 : random.Next(1, 3));
        if (unanswerable) canvas.Darken(18);
        canvas.Noise(random, unanswerable ? 30 : 16);
        const string question = "What color is this object?\nWhen the provided information is insufficient, respond with 'Unanswerable'.\n" + Short;
        return new(question, unanswerable ? "unanswerable" : color.Name, [], canvas);
    }

    /// <summary>One shape in one quadrant, described by colour and kind; the answer is its box. A second shape made
    /// the task "find the shape the words name", which a tiny model did not learn (it stayed at one of the two boxes
    /// at random); locating the one object and writing its box in CoIN's format it does learn.</summary>
    private static MiniCoinExample Grounding(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        var color = Pick(random, Colors);
        string shape = Pick(random, Shapes);
        var t = InQuadrant(random, size, random.Next(4));
        canvas.Shape(shape, t.X0, t.Y0, t.X1, t.Y1, color.Rgb);
        canvas.Noise(random, 8);
        string F(int v) => (v / (double)size).ToString("F2", CultureInfo.InvariantCulture);
        string box = $"[{F(t.X0)}, {F(t.Y0)}, {F(t.X1)}, {F(t.Y1)}]";
        string question = $"Please provide the bounding box coordinate of the region this sentence describes: {color.Name} {shape}.";
        return new(question, box, new() { ["answer_bbox"] = box, ["size"] = new[] { size, size } }, canvas);
    }

    private static MiniCoinExample VqaV2(Random random, int size)
    {
        var canvas = new Canvas(size, Background);
        int count = random.Next(1, 5);
        var drawn = ShapeGrid(random, canvas, count, Pick(random, Colors).Rgb);
        if (random.Next(2) == 0) return new("How many shapes are there?\n" + Short, count.ToString(CultureInfo.InvariantCulture), [], canvas);
        string asked = Pick(random, Shapes);
        return new($"Is there a {asked} in the image?\n" + Short, drawn.Contains(asked) ? "yes" : "no", [], canvas);
    }

    /// <summary>Shapes of one colour in <paramref name="count"/> random cells of a 2×2 grid, in cell order.</summary>
    private static List<string> ShapeGrid(Random random, Canvas canvas, int count, (byte, byte, byte) rgb)
    {
        var drawn = new List<string>();
        int cell = canvas.Size / 2;
        foreach (int slot in Enumerable.Range(0, 4).OrderBy(_ => random.Next()).Take(count).Order())
        {
            string shape = Pick(random, Shapes);
            int x0 = slot % 2 * cell + 2, y0 = slot / 2 * cell + 2;
            canvas.Shape(shape, x0, y0, x0 + cell - 4, y0 + cell - 4, rgb);
            drawn.Add(shape);
        }
        return drawn;
    }

    private static Canvas BookCover(int size, (byte, byte, byte) genreColor, string title, string author)
    {
        var canvas = new Canvas(size, genreColor);
        canvas.Text(title, (size - BitmapFont.TextWidth(title)) / 2, 3, (255, 255, 255));
        canvas.Fill(2, size / 2 - 1, size - 2, size / 2, (230, 230, 230));
        canvas.Text(author, (size - BitmapFont.TextWidth(author)) / 2, size - BitmapFont.Height - 3, (20, 20, 20));
        return canvas;
    }

    private static MiniCoinExample OcrVqa(Random random, int size)
    {
        var genre = Pick(random, Genres);
        string title = Pick(random, Words), author = Pick(random, Authors);
        var canvas = BookCover(size, genre.Rgb, title, author);
        return random.Next(3) switch
        {
            0 => new("What is the title of this book?\n" + Short, title.ToLowerInvariant(), [], canvas),
            1 => new("Who is the author of this book?\n" + Short, author.ToLowerInvariant(), [], canvas),
            _ => new("What is the genre of this book?\n" + Short, genre.Genre, [], canvas),
        };
    }

    /// <summary>LLaVA's first stage in miniature: short captions of every kind of scene the tasks draw (single
    /// shapes, two shapes in quadrants, words, book covers, shape grids, degraded images), so a base model learns to
    /// see colours, shapes, positions and letters before instruction tuning.</summary>
    private static MiniCoinExample Captions(Random random, int size)
    {
        const string describe = "Describe the image briefly.";
        var canvas = new Canvas(size, Background);
        var color = Pick(random, Colors);
        string shape = Pick(random, Shapes);
        switch (random.Next(8))
        {
            case 0:
            {
                var b = Box(random, size, 0, size);
                canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                if (random.Next(2) == 0) canvas.Noise(random, 12);
                return new(describe, $"a {color.Name} {shape}.", [], canvas);
            }
            case 1:
            {
                // Reading order, so the caption is a function of the image: the model learns where → what.
                var scene = TwoShapes(random, canvas, size);
                var parts = scene.OrderBy(o => o.Place).Select(o => $"a {o.Color} {o.Shape} at the {QuadrantNames[o.Place]}");
                return new(describe, string.Join(" and ", parts) + ".", [], canvas);
            }
            default:
            {
                // Cases 6 and 7, a quarter of the captions. Where → what: one shape and its quadrant (grounding's
                // skill), or two shapes side by side or stacked (the scene questions' skill).
                if (random.Next(2) == 0)
                {
                    int cell = random.Next(4);
                    var b = InQuadrant(random, size, cell);
                    canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                    return new(describe, $"a {color.Name} {shape} at the {QuadrantNames[cell]}.", [], canvas);
                }
                bool stacked = random.Next(2) == 0;
                var pair = Pair(random, canvas, size, stacked);
                var places = PairPlaces[stacked ? 1 : 0];
                return new(describe, $"a {pair[0].Color} {pair[0].Shape} {places[0]} and a {pair[1].Color} {pair[1].Shape} {places[1]}.", [], canvas);
            }
            case 2:
            {
                string word = Pick(random, Words);
                SignText(random, canvas, word, color.Rgb);
                return new(describe, $"the word {word.ToLowerInvariant()} in {color.Name}.", [], canvas);
            }
            case 3:
            {
                var genre = Pick(random, Genres);
                string title = Pick(random, Words), author = Pick(random, Authors);
                canvas = BookCover(size, genre.Rgb, title, author);
                return new(describe, $"a {genre.Genre} book titled {title.ToLowerInvariant()} by {author.ToLowerInvariant()}.", [], canvas);
            }
            case 4:
            {
                var drawn = ShapeGrid(random, canvas, random.Next(1, 5), color.Rgb);
                return new(describe, $"{CountWords[drawn.Count]} {color.Name} {(drawn.Count == 1 ? "shape" : "shapes")}: {string.Join(", ", drawn)}.", [], canvas);
            }
            case 5:
            {
                var b = Box(random, size, 0, size);
                canvas.Shape(shape, b.X0, b.Y0, b.X1, b.Y1, color.Rgb);
                canvas.Blur(4);
                canvas.Darken(18);
                canvas.Noise(random, 30);
                return new(describe, "a dark blurry image.", [], canvas);
            }
        }
    }

    /// <summary>A drawn shape; <paramref name="Place"/> is its quadrant (0-3, reading order) or its place in a pair (0 left or top, 1 right or bottom).</summary>
    private sealed record PlacedShape(string Color, string Shape, int Place);

    /// <summary>Two shapes of different colours and kinds in two different quadrants.</summary>
    private static PlacedShape[] TwoShapes(Random random, Canvas canvas, int size)
    {
        var (colors, shapes) = TwoKinds(random);
        int[] cells = Enumerable.Range(0, 4).OrderBy(_ => random.Next()).Take(2).ToArray();
        var placed = new PlacedShape[2];
        for (int i = 0; i < 2; i++)
        {
            var b = InQuadrant(random, size, cells[i]);
            canvas.Shape(shapes[i], b.X0, b.Y0, b.X1, b.Y1, colors[i].Rgb);
            placed[i] = new(colors[i].Name, shapes[i], cells[i]);
        }
        return placed;
    }

    /// <summary>Two shapes of different colours and kinds, one in each half (left and right, or top and bottom when
    /// <paramref name="stacked"/>), centred across: the first place first.</summary>
    private static PlacedShape[] Pair(Random random, Canvas canvas, int size, bool stacked)
    {
        var (colors, shapes) = TwoKinds(random);
        int half = size / 2;
        var placed = new PlacedShape[2];
        for (int i = 0; i < 2; i++)
        {
            int side = random.Next(half * 3 / 4, half * 7 / 8 + 1);
            int along = i * half + random.Next(0, half - side + 1), across = (size - side) / 2 + random.Next(-1, 2);
            var (x0, y0) = stacked ? (across, along) : (along, across);
            canvas.Shape(shapes[i], x0, y0, x0 + side, y0 + side, colors[i].Rgb);
            placed[i] = new(colors[i].Name, shapes[i], i);
        }
        return placed;
    }

    private static ((string Name, (byte, byte, byte) Rgb)[] Colors, string[] Shapes) TwoKinds(Random random)
        => (Colors.OrderBy(_ => random.Next()).Take(2).ToArray(), Shapes.OrderBy(_ => random.Next()).Take(2).ToArray());

    private static readonly string[] CountWords = ["zero", "one", "two", "three", "four"];

    private static MiniCoinExample Tones(Random random, int size)
    {
        const int rate = 16000;
        int count = random.Next(1, 4);
        var audio = new float[rate];
        double frequency = 600 + random.Next(0, 5) * 100;
        int start = random.Next(0, rate / 10);
        for (int tone = 0; tone < count; tone++)
        {
            int begin = start + tone * rate * 27 / 100, length = rate * 12 / 100;
            for (int i = 0; i < length && begin + i < rate; i++)
                audio[begin + i] = (float)(0.5 * Math.Sin(2 * Math.PI * frequency * i / rate));
        }
        for (int i = 0; i < rate; i++) audio[i] += (float)((random.NextDouble() - 0.5) * 0.02);
        return new("How many tones do you hear?\n" + Short, count.ToString(CultureInfo.InvariantCulture), [], null, audio);
    }
}
