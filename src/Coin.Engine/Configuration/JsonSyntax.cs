using System.Text.Json;
using Coin.Abstractions.Plugins;

namespace Coin.Engine.Configuration;

/// <summary>Checks an experiment file before the configuration system reads it, so a syntax error is reported with
/// its line and column instead of a nested exception, and a key given twice in one object (also differing only in
/// case, since configuration keys are case-insensitive) is named instead of crashing the configuration reader.</summary>
public static class JsonSyntax
{
    public static void Check(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: experiment file not found");
        string text = Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Experiment, "experiment file");
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CoinUserException($"{path}: expected a JSON object at the top level, found {document.RootElement.ValueKind}");
            if (CountKeys(document.RootElement) is var keys and > MaxKeys)
                throw new CoinUserException($"{path}: holds {keys:N0} keys and list items; an experiment file may hold at most {MaxKeys:N0} (the shipped ones hold fewer than 200)");
            if (FirstDuplicate(document.RootElement, "") is { } duplicate)
                throw new CoinUserException($"{path}: the key '{duplicate}' appears more than once (keys are case-insensitive); keep one");
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            string reason = e.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.');
            throw new CoinUserException($"{path}: malformed JSON at line {line}, column {column}: {reason}");
        }
    }

    /// <summary>Keys and list items one experiment file may hold. The configuration system lists a section's children
    /// by scanning every key of the file, so binding costs grow with the square of the count: 64,000 variables took
    /// over a minute to read, this many about a second.</summary>
    public const int MaxKeys = 10_000;

    private static long CountKeys(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Sum(p => 1 + CountKeys(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Sum(item => 1 + CountKeys(item)),
        _ => 0,
    };

    private static string? FirstDuplicate(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray())
                if (FirstDuplicate(item, $"{path}[{i++}]") is { } found) return found;
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object) return null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            string key = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            if (!seen.Add(property.Name)) return key;
            if (FirstDuplicate(property.Value, key) is { } found) return found;
        }
        return null;
    }
}
