namespace Coin.Abstractions.Plugins;

/// <summary>Marks an options property whose values name tasks of the stream (a string, or a list of strings): the host
/// refuses a name the stream lacks, naming the key and the stream's tasks, before anything is built. Without it a
/// misspelt or foreign task name silently matches nothing, and the method never runs (LLaCA's <c>tasks</c> with
/// CoIN's names on another stream was plain sequential tuning). Added in contract 2.3.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TaskNamesAttribute : Attribute;
