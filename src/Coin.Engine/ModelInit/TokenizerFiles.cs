using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coin.Engine.ModelInit;

/// <summary>A byte-level BPE tokenizer.json with no merges (every byte its own token) for a written folder: the
/// smallest real tokenizer that encodes any text, so a random model of any vocabulary size can be run end to end. Ids
/// 0–2 are &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; as in LLaMA; bytes follow; LLaVA's &lt;image&gt; and &lt;pad&gt; take the
/// config's ids. Not a tokenizer of any published model.</summary>
public static class TokenizerFiles
{
    /// <summary>Refuses a vocabulary too small for the byte-level tokenizer, before anything is written.</summary>
    public static void Check(ModelFolderLayout layout)
    {
        int largest = new[] { 258, layout.ImageTokenIndex ?? 0, layout.PadTokenId ?? 0 }.Max();
        if (largest >= layout.VocabSize)
            throw new Abstractions.Plugins.CoinUserException($"vocab_size {layout.VocabSize} is too small for the byte-level tokenizer the writer adds (ids up to {largest}: <unk>, <s>, </s>, 256 bytes, <image>, <pad>)");
    }

    public static void Write(string folder, ModelFolderLayout layout)
    {
        Check(layout);
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        var byteChars = ByteLevelAlphabet();
        for (int b = 0; b < 256; b++) vocab[byteChars[b].ToString()] = 3 + b;
        var added = new JsonArray(Added(0, "<unk>"), Added(1, "<s>"), Added(2, "</s>"));
        if (layout.ImageTokenIndex is { } image) added.Add(Added(image, "<image>"));
        if (layout.PadTokenId is { } pad && pad != layout.ImageTokenIndex && pad > 258) added.Add(Added(pad, "<pad>"));

        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject { ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("<s>") } },
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString(options));
        var config = new JsonObject
        {
            ["add_bos_token"] = true, ["add_eos_token"] = false, ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
            ["pad_token"] = layout.PadTokenId is not null && layout.PadTokenId > 258 ? "<pad>" : null,
            ["model_max_length"] = 4096, ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString(options));
        File.WriteAllText(Path.Combine(folder, "generation_config.json"),
            new JsonObject { ["bos_token_id"] = 1, ["eos_token_id"] = 2, ["pad_token_id"] = layout.PadTokenId ?? 0 }.ToJsonString(options));
    }

    private static JsonObject Added(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
    };

    /// <summary>GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others take code points from 256 up.</summary>
    private static char[] ByteLevelAlphabet()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var chars = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++) chars[b] = printable.Contains(b) ? (char)b : (char)(256 + next++);
        return chars;
    }
}
