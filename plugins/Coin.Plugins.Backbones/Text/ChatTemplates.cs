using Coin.Abstractions.Components;

namespace Coin.Plugins.Backbones.Text;

/// <summary>The plain template: the user's message, a newline, then the answer and the end-of-sequence token.</summary>
public sealed class PlainChatTemplate(string bos, string eos) : IChatTemplate
{
    public string Name => "plain";
    public string FormatPrompt(string userMessage) => $"{bos}{userMessage}\n";
    public string FormatAnswer(string answer) => answer + eos;
}

/// <summary>LLaVA-1.5's <c>vicuna_v1</c> conversation template (single turn).</summary>
public sealed class VicunaV1ChatTemplate(string bos, string eos) : IChatTemplate
{
    private const string System =
        "A chat between a curious human and an artificial intelligence assistant. " +
        "The assistant gives helpful, detailed, and polite answers to the human's questions.";

    public string Name => "vicuna_v1";
    public string FormatPrompt(string userMessage) => $"{bos}{System} USER: {userMessage} ASSISTANT:";
    public string FormatAnswer(string answer) => $" {answer}{eos}";
}
