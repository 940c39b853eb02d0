namespace Coin.Abstractions.Components;

/// <summary>How a conversation turn becomes text for the backbone (e.g. LLaVA-1.5's <c>vicuna_v1</c>).</summary>
public interface IChatTemplate
{
    /// <summary>Name used in configuration.</summary>
    string Name { get; }

    /// <summary>Text from the start of the sequence to where the assistant's answer begins.</summary>
    string FormatPrompt(string userMessage);

    /// <summary>The answer as it follows the prompt, including the end-of-turn marker the model learns to emit.</summary>
    string FormatAnswer(string answer);
}
