using System.Text.Json;
using Coin.Abstractions.Plugins;

namespace Coin.Host.Configuration;

/// <summary>Checks an experiment file before the configuration system reads it, so a syntax error is reported with
/// its line and column instead of a nested exception.</summary>
public static class JsonSyntax
{
    public static void Check(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: experiment file not found");
        string text = File.ReadAllText(path);
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CoinUserException($"{path}: expected a JSON object at the top level, found {document.RootElement.ValueKind}");
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            string reason = e.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.');
            throw new CoinUserException($"{path}: malformed JSON at line {line}, column {column}: {reason}");
        }
    }
}
