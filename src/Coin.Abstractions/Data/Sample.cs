namespace Coin.Abstractions.Data;

/// <summary>One instruction-tuning example: the user's turn (with one placeholder such as <c>&lt;image&gt;</c> per
/// modality input, where the connector's output is spliced in) and the reference answer.</summary>
/// <param name="Id">Unique within its task (CoIN's <c>id</c> or <c>question_id</c>).</param>
/// <param name="Task">The name of the task it belongs to.</param>
/// <param name="Inputs">The modality inputs, in the order of their placeholders in <paramref name="Instruction"/>.</param>
/// <param name="Instruction">The human turn; CoIN puts the task instruction on its last line.</param>
/// <param name="Answer">The reference answer (the assistant's turn for training).</param>
/// <param name="References">Extra references for evaluators (e.g. TextVQA's ten answers, a bounding box), may be empty.</param>
public sealed record Sample(
    string Id,
    string Task,
    IReadOnlyList<ModalityInput> Inputs,
    string Instruction,
    string Answer,
    IReadOnlyDictionary<string, string>? References = null);
