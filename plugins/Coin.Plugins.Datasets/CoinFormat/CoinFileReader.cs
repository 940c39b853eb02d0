using System.Text.Json;
using System.Text.RegularExpressions;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Datasets.CoinFormat;

/// <summary>Reads CoIN / LLaVA files. Train: <c>[{"id", "image", "conversations": [{"from": "human", "value":
/// "&lt;image&gt;\n..."}, {"from": "gpt", "value": ...}]}]</c>. Test: <c>[{"question_id", "image", "text", "answer"}]</c>,
/// grounding adds <c>answer_bbox</c> and <c>size</c>; <c>answers</c> (TextVQA's ten) and <c>choices</c> are read when
/// present. Media paths are relative to the media folder. A bad row is an error naming file, row and field, or, when
/// <paramref name="skipInvalid"/>, is skipped and counted in one warning per file.</summary>
internal sealed partial class CoinFileReader(string mediaFolder, bool skipInvalid, IReadOnlyCollection<string> ignoredFields, Action<string> warn,
    MediaCheck.Limits? mediaLimits = null)
{
    private static readonly string[] Modalities = ["image", "audio"];
    private static readonly HashSet<string> TrainFields = ["id", "image", "audio", "conversations"];
    private static readonly HashSet<string> TestFields = ["question_id", "image", "audio", "text", "answer", "answer_bbox", "size", "answers", "choices"];

    public IReadOnlyList<Sample> ReadTrain(string task, string path) => Read(path, task, train: true);

    public IReadOnlyList<Sample> ReadTest(string task, string path) => Read(path, task, train: false);

    private IReadOnlyList<Sample> Read(string path, string task, bool train)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: {(train ? "training" : "test")} file of task '{task}' not found");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Coin.Nn.Files.InputFile.ReadAllText(path, Coin.Nn.Files.InputFile.Limits.TaskFile, "task file"));
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{path}: malformed JSON at line {(e.LineNumber ?? 0) + 1} ({e.Message.Split(" Path:")[0]})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new CoinUserException($"{path}: expected a JSON list of rows");
            var samples = new List<Sample>();
            int skipped = 0;
            string? firstProblem = null;
            int index = 0;
            // Ids key predictions, scores and replayed samples: two rows with one id would be scored as one.
            var firstRowOf = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var row in document.RootElement.EnumerateArray())
            {
                try
                {
                    Sample sample;
                    // System.Text.Json parses an escaped unpaired surrogate ("\ud800") and refuses it only when the
                    // string is read, with an InvalidOperationException: that is the row's fault, not a defect.
                    try { sample = train ? TrainRow(row, task, path, index) : TestRow(row, task, path, index); }
                    catch (InvalidOperationException e) when (e.Message.Contains("UTF-16", StringComparison.Ordinal))
                    {
                        throw Invalid(path, index, "(row)", "holds text that is not valid UTF-16 (an unpaired surrogate escape such as \\ud800)");
                    }
                    if (!firstRowOf.TryAdd(sample.Id, index))
                        throw Invalid(path, index, train ? "id" : "question_id", $"duplicate id '{sample.Id}' (row {firstRowOf[sample.Id]} has it too)");
                    samples.Add(sample);
                }
                catch (InvalidRowException e) when (skipInvalid)
                {
                    skipped++;
                    firstProblem ??= e.Message;
                }
                catch (InvalidRowException e)
                {
                    throw new CoinUserException(e.Message);
                }
                index++;
            }
            if (skipped > 0) warn($"{path}: skipped {skipped} of {index} rows; the first: {firstProblem}");
            if (samples.Count == 0) throw new CoinUserException($"{path}: no usable row");
            return samples;
        }
    }

    private Sample TrainRow(JsonElement row, string task, string path, int index)
    {
        CheckFields(row, TrainFields, path, index);
        string id = Identifier(row, "id", path, index);
        var inputs = Media(row, path, index);
        if (!row.TryGetProperty("conversations", out var turns) || turns.ValueKind != JsonValueKind.Array)
            throw Invalid(path, index, "conversations", "expected a list of turns");
        if (turns.GetArrayLength() != 2)
            throw Invalid(path, index, "conversations", $"expected one human and one gpt turn, found {turns.GetArrayLength()} turns (multi-turn rows are not supported)");
        string human = Turn(turns[0], "human", path, index, 0), answer = Turn(turns[1], "gpt", path, index, 1);
        CheckPlaceholders(human, inputs, path, index, "conversations[0].value");
        return new Sample(id, task, inputs, human, answer);
    }

    private Sample TestRow(JsonElement row, string task, string path, int index)
    {
        CheckFields(row, TestFields, path, index);
        string id = Identifier(row, "question_id", path, index);
        var inputs = Media(row, path, index);
        string text = Text(row, "text", path, index);
        string answer = Answer(row, path, index);
        // CoIN's test text has no placeholder; the evaluation script puts the image token first.
        string instruction = inputs.Count > 0 && !text.Contains($"<{inputs[0].Modality}>") ? $"<{inputs[0].Modality}>\n{text}" : text;
        CheckPlaceholders(instruction, inputs, path, index, "text");

        var references = new Dictionary<string, string>();
        if (row.TryGetProperty("answer_bbox", out var box)) references["answer_bbox"] = box.ValueKind == JsonValueKind.String ? box.GetString()! : box.GetRawText();
        if (row.TryGetProperty("size", out var size)) references["size"] = size.GetRawText();
        if (row.TryGetProperty("answers", out var answers))
        {
            if (answers.ValueKind != JsonValueKind.Array || answers.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
                throw Invalid(path, index, "answers", "expected a list of strings");
            references["answers"] = answers.GetRawText();
        }
        if (row.TryGetProperty("choices", out var choices))
            references["choices"] = choices.ValueKind == JsonValueKind.Number ? choices.GetRawText() : throw Invalid(path, index, "choices", "expected the number of options");
        else if (OptionLine().Matches(text).Count is > 0 and var count)
            references["choices"] = count.ToString();
        return new Sample(id, task, inputs, instruction, answer, references);
    }

    private void CheckFields(JsonElement row, HashSet<string> known, string path, int index)
    {
        if (row.ValueKind != JsonValueKind.Object) throw Invalid(path, index, "(row)", "expected an object");
        foreach (var property in row.EnumerateObject())
            if (!known.Contains(property.Name) && !ignoredFields.Contains(property.Name))
                throw Invalid(path, index, property.Name, $"unknown field; accepted: {string.Join(", ", known.Order())} (list others in ignoreFields)");
    }

    private List<ModalityInput> Media(JsonElement row, string path, int index)
    {
        var inputs = new List<ModalityInput>();
        foreach (string modality in Modalities)
        {
            if (!row.TryGetProperty(modality, out var value)) continue;
            if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0) throw Invalid(path, index, modality, "expected a file path");
            if (value.GetString()!.Contains('\0')) throw Invalid(path, index, modality, "the path holds a NUL character, which no file name can");
            string file = Path.GetFullPath(value.GetString()!, mediaFolder);
            if (MediaCheck.Problem(file, mediaFolder, modality, mediaLimits ?? MediaCheck.Default) is { } problem) throw Invalid(path, index, modality, problem);
            inputs.Add(new ModalityInput(modality, Path: file));
        }
        return inputs;
    }

    private static void CheckPlaceholders(string text, List<ModalityInput> inputs, string path, int index, string field)
    {
        foreach (string modality in Modalities)
        {
            int expected = inputs.Count(i => i.Modality == modality);
            int found = Regex.Matches(text, Regex.Escape($"<{modality}>")).Count;
            if (found != expected)
                throw Invalid(path, index, field, $"{found} <{modality}> placeholder(s) for {expected} {modality} file(s)");
        }
    }

    private static string Turn(JsonElement turn, string from, string path, int index, int position)
    {
        if (turn.ValueKind != JsonValueKind.Object || !turn.TryGetProperty("from", out var who) || who.GetString() != from)
            throw Invalid(path, index, $"conversations[{position}].from", $"expected \"{from}\"");
        if (!turn.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
            throw Invalid(path, index, $"conversations[{position}].value", "expected a string");
        return value.GetString()!;
    }

    private static string Identifier(JsonElement row, string field, string path, int index)
        => row.TryGetProperty(field, out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText()
            : throw Invalid(path, index, field, "expected a string or number");

    private static string Text(JsonElement row, string field, string path, int index)
        => row.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid(path, index, field, "expected a string");

    /// <summary>A test row's answer: a string, or an integer written as one (a count), taken as its digits, which is
    /// what Python's str() gives for it. Other numbers have no one text (1e3 is "1000.0" to Python) and are refused.</summary>
    private static string Answer(JsonElement row, string path, int index)
    {
        if (row.TryGetProperty("answer", out var value) && value.ValueKind == JsonValueKind.Number)
        {
            string digits = value.GetRawText();
            return IntegerLiteral().IsMatch(digits) ? (digits == "-0" ? "0" : digits)
                : throw Invalid(path, index, "answer", $"the number {digits} is not an integer; write the answer as a string");
        }
        return Text(row, "answer", path, index);
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)$")] private static partial Regex IntegerLiteral();

    private static InvalidRowException Invalid(string path, int index, string field, string problem) => new($"{path}: row {index}, field '{field}': {problem}");

    [GeneratedRegex(@"^[A-E]\. ", RegexOptions.Multiline)] private static partial Regex OptionLine();

    private sealed class InvalidRowException(string message) : Exception(message);
}
