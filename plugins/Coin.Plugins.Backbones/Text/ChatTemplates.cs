using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Backbones.Text;

/// <summary>The plain template: the user's message, a newline, then the answer and the end-of-sequence token.</summary>
internal sealed class PlainChatTemplate(string bos, string eos) : IChatTemplate
{
    public string Name => "plain";
    public string FormatPrompt(string userMessage) => $"{bos}{userMessage}\n";
    public string FormatAnswer(string answer) => answer + eos;
}

/// <summary>LLaVA-1.5's <c>vicuna_v1</c> conversation template (single turn).</summary>
internal sealed class VicunaV1ChatTemplate(string bos, string eos) : IChatTemplate
{
    private const string System =
        "A chat between a curious human and an artificial intelligence assistant. " +
        "The assistant gives helpful, detailed, and polite answers to the human's questions.";

    public string Name => "vicuna_v1";
    public string FormatPrompt(string userMessage) => $"{bos}{System} USER: {userMessage} ASSISTANT:";
    public string FormatAnswer(string answer) => $" {answer}{eos}";
}

/// <summary>ChatML as Qwen2's chat_template writes one user turn: the default system message, the user's turn, then
/// the assistant's header; the answer ends with &lt;|im_end|&gt;.</summary>
internal sealed class ChatMlChatTemplate : IChatTemplate
{
    public string Name => "chatml";
    public string FormatPrompt(string userMessage)
        => $"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{userMessage}<|im_end|>\n<|im_start|>assistant\n";
    public string FormatAnswer(string answer) => answer + "<|im_end|>";
}

/// <summary>LLaVA-NeXT-Mistral's chat_template (its chat_template.json) for one user turn: the BOS the tokenizer adds,
/// <c>[INST] </c>, the message (its images first, each followed by a newline), <c> [/INST]</c>; the answer follows a
/// space and ends with the end-of-sequence token.</summary>
internal sealed class MistralInstructChatTemplate(string bos, string eos) : IChatTemplate
{
    public string Name => "mistral_instruct";
    public string FormatPrompt(string userMessage) => $"{bos}[INST] {userMessage} [/INST]";
    public string FormatAnswer(string answer) => $" {answer}{eos}";
}

/// <summary>LLaVA-OneVision's chat_template (its chat_template.json) for one user turn: ChatML without a system message,
/// the role followed by a space, the images, then a newline and the text (so a message written "&lt;image&gt;" then a newline
/// and the text renders as it does), no newline between turns; the assistant's header ends with a newline.</summary>
internal sealed class OneVisionChatTemplate : IChatTemplate
{
    public string Name => "chatml_onevision";
    public string FormatPrompt(string userMessage) => $"<|im_start|>user {userMessage}<|im_end|><|im_start|>assistant\n";
    public string FormatAnswer(string answer) => answer + "<|im_end|>";
}

/// <summary>LLaMA-3's chat_template for one user turn: &lt;|begin_of_text|&gt;, the user's header and trimmed message,
/// &lt;|eot_id|&gt;, then the assistant's header; the answer ends with &lt;|eot_id|&gt;.</summary>
internal sealed class Llama3ChatTemplate : IChatTemplate
{
    public string Name => "llama3";
    public string FormatPrompt(string userMessage)
        => $"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{userMessage.Trim()}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    public string FormatAnswer(string answer) => answer.Trim() + "<|eot_id|>";
}

/// <summary>The template a model folder says it uses: its processor's chat template (chat_template.jinja or
/// chat_template.json, what a multimodal folder's processor renders conversations with), else tokenizer_config.json's
/// chat_template; a Jinja text, which is not run, recognised by its markers. And whether the tokenizer adds its BOS
/// (add_bos_token, LLaMA-2, Vicuna's and Mistral's).</summary>
internal static class FolderChatTemplate
{
    public static readonly string[] Names = ["plain", "vicuna_v1", "llama3", "chatml", "mistral_instruct", "chatml_onevision", "auto"];

    public static IChatTemplate Create(string name, string folder, string eos)
    {
        var config = ReadConfig(folder);
        string bos = config?["add_bos_token"]?.GetValue<bool>() ?? File.Exists(Path.Combine(folder, "tokenizer.model")) && !File.Exists(Path.Combine(folder, "tokenizer.json"))
            ? TokenText(config?["bos_token"]) ?? "<s>"
            : "";
        return Named(name == "auto" ? Detect(ProcessorTemplate(folder) ?? config?["chat_template"]?.ToString(), folder) : name, bos, eos);
    }

    /// <summary>The processor's chat template of a multimodal folder (chat_template.jinja, else chat_template.json's
    /// chat_template), or null.</summary>
    private static string? ProcessorTemplate(string folder)
    {
        string jinja = Path.Combine(folder, "chat_template.jinja"), json = Path.Combine(folder, "chat_template.json");
        if (File.Exists(jinja)) return Coin.Nn.Files.InputFile.ReadAllText(jinja, Coin.Nn.Files.InputFile.Limits.Tokenizer, "chat template");
        if (!File.Exists(json)) return null;
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(json, Coin.Nn.Files.InputFile.Limits.Tokenizer, "chat template"))?["chat_template"]?.ToString();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CoinUserException($"{json}: malformed JSON ({e.Message})");
        }
    }

    /// <summary>A template by name (<see cref="Names"/> but auto), with the BOS and EOS text it writes.</summary>
    public static IChatTemplate Named(string name, string bos, string eos) => name switch
    {
        "vicuna_v1" => new VicunaV1ChatTemplate(bos, eos),
        "llama3" => new Llama3ChatTemplate(),
        "chatml" => new ChatMlChatTemplate(),
        "mistral_instruct" => new MistralInstructChatTemplate(bos, eos),
        "chatml_onevision" => new OneVisionChatTemplate(),
        _ => new PlainChatTemplate(bos, eos),
    };

    /// <summary>The end-of-sequence token tokenizer_config.json names (eos_token, a string or an added-token object),
    /// or null when it names none.</summary>
    public static string? EosToken(string folder) => TokenText(ReadConfig(folder)?["eos_token"]);

    private static string Detect(string? template, string folder) => template switch
    {
        // OneVision's ChatML puts a space, not a newline, after the role.
        { } t when t.Contains("<|im_start|>", StringComparison.Ordinal) && t.Contains("message['role'] + ' '", StringComparison.Ordinal) => "chatml_onevision",
        { } t when t.Contains("<|im_start|>", StringComparison.Ordinal) => "chatml",
        { } t when t.Contains("<|start_header_id|>", StringComparison.Ordinal) => "llama3",
        { } t when t.Contains("[INST]", StringComparison.Ordinal) && t.Contains("[/INST]", StringComparison.Ordinal) => "mistral_instruct",
        // The host puts the component's key path in front (model.backbone.options.chatTemplate).
        _ => throw new CoinOptionException("chatTemplate", $"auto: {folder}'s chat template (chat_template.jinja, chat_template.json or tokenizer_config.json) is {(template is null ? "missing" : "none Coin recognises")} " +
                                                           "(recognised: chatml, chatml_onevision, llama3, mistral_instruct); name the template instead: plain, vicuna_v1, llama3, chatml, mistral_instruct or chatml_onevision"),
    };

    private static System.Text.Json.Nodes.JsonNode? ReadConfig(string folder)
    {
        string path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Tokenizer, "tokenizer configuration"));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CoinUserException($"{path}: malformed JSON ({e.Message})");
        }
    }

    private static string? TokenText(System.Text.Json.Nodes.JsonNode? token)
        => token is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? s) ? s : token?["content"]?.GetValue<string>();
}
