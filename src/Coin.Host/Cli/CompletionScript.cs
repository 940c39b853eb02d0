namespace Coin.Host.Cli;

/// <summary><c>coin completion bash|zsh</c>: a shell function that asks <c>coin</c> itself what may come next
/// (System.CommandLine's <c>[suggest:POSITION]</c> directive), so completions always match the installed version:
/// commands, actions, options and the values an option accepts; files where an argument is a path.</summary>
internal static class CompletionScript
{
    public static string For(string shell) => shell switch
    {
        "bash" => """
            # coin's tab completion for bash: source <(coin completion bash), e.g. in ~/.bashrc.
            _coin_complete() {
              local IFS=$'\n'
              local candidates
              candidates=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return
              COMPREPLY=( $(compgen -W "$candidates" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -o bashdefault -F _coin_complete coin
            """,
        "zsh" => """
            # coin's tab completion for zsh: source <(coin completion zsh), e.g. in ~/.zshrc.
            _coin_complete() {
              local -a candidates
              candidates=("${(@f)$(${words[1]} "[suggest:${#BUFFER}]" "$BUFFER" 2>/dev/null)}")
              _describe 'coin' candidates || _files
            }
            compdef _coin_complete coin
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash or zsh"),
    };
}
