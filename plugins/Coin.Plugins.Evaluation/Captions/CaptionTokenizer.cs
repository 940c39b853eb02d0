using System.Text;
using System.Text.RegularExpressions;

namespace Coin.Plugins.Evaluation.Captions;

/// <summary>The caption tokenization of pycocoevalcap (<c>tokenizer/ptbtokenizer.py</c>) without Java: that file runs
/// Stanford CoreNLP 3.4.1's <c>PTBTokenizer -preserveLines -lowerCase</c> over a file of one caption per line, then
/// drops the tokens in its <c>PUNCTUATIONS</c> list and joins the rest with single spaces. This class reproduces the
/// rules of
/// that version's lexer (<c>PTBLexer.flex</c> at tag v3.4.1, default options: Penn Treebank escaping on,
/// <c>americanize</c> off, no escaping of <c>/</c> and <c>*</c>) in the lexer's order, picking the longest match and,
/// on a tie, the earlier rule, as JFlex does; then lower-cases each token and drops the same tokens.</summary>
/// <remarks>
/// <para>Behaviour kept on purpose because pycocoevalcap has it: punctuation is split off words (<c>"bike."</c> →
/// <c>bike</c>), clitics become tokens (<c>"man's"</c> → <c>man 's</c>, <c>"don't"</c> → <c>do n't</c>,
/// <c>"cannot"</c> → <c>can not</c>), hyphenated words, numbers (<c>3.50</c>, <c>1,000</c>, <c>10:30</c>) and
/// abbreviations (<c>st.</c>, <c>u.s.</c>, <c>e.g.</c>, a single letter before a period: <c>a.</c>) stay one token,
/// <c>"?!"</c> stays one token and is not dropped, and brackets survive: Java writes <c>(</c> as <c>-LRB-</c>,
/// <c>-lowerCase</c> turns that into <c>-lrb-</c>, and the Python list only holds the upper-case form, so
/// <c>-lrb- -rrb- -lsb- -rsb- -lcb- -rcb-</c> are kept. A fraction <c>"5 1/2"</c> is one token joined by a no-break
/// space, which BLEU's and CIDEr's <c>str.split()</c> split again and ROUGE-L's <c>split(" ")</c> does not.</para>
/// <para>Like pycocoevalcap, <see cref="Tokenize(IReadOnlyList{string})"/> lexes the captions as one text, one a line,
/// so a look-ahead can reach into the next caption: "the letter A." followed by a caption starting "A man" gives
/// <c>the letter a</c> (the lexer's acronym rule), while at the end of the text it gives <c>the letter a.</c>.</para>
/// <para>Where this can differ from the Java tokenizer: (1) none of the JDK's or pycocoevalcap's file handling is
/// involved: a caption is never split or merged. (2) Line breaks other than <c>\n</c> inside a caption (<c>\r</c>,
/// U+2028, U+2029, vertical tab, form feed) are spaces here; Java starts a new line at them, which shifts every later
/// caption onto the wrong image in pycocoevalcap. (3) Soft
/// hyphens (U+00AD) are deleted before lexing; Java deletes them inside the tokens that may hold them. (4) The
/// letter and digit classes are .NET's Unicode ones (<c>\p{L}</c> plus combining marks, <c>\p{Nd}</c>), not those
/// of the JDK that generated the 3.4.1 lexer, and the lexer's HTML entities for letters (<c>&amp;eacute;</c>) and
/// <c>&amp;apos;</c> are not recognised (<c>&amp;amp;</c>, <c>&amp;quot;</c>, <c>&amp;lt;</c>, <c>&amp;gt;</c>,
/// <c>&amp;nbsp;</c> and the dash entities are). (5) JFlex finds the longest match of each rule; .NET's regular
/// expressions take the first alternative that matches, so alternatives are split into separate patterns or
/// ordered longest first, but a nested alternation in the URL, e-mail and hyphenated-acronym rules can still stop
/// early on exotic input. (6) Lower-casing is .NET's invariant culture, which differs from Java's
/// <c>toLowerCase(Locale.ENGLISH)</c> for a few non-ASCII letters (U+0130, a word-final capital sigma).</para>
/// </remarks>
internal static class CaptionTokenizer
{
    /// <summary>pycocoevalcap's <c>PUNCTUATIONS</c>: tokens dropped after tokenizing, compared exactly (so the
    /// upper-case bracket forms never match the lower-cased tokens, as in pycocoevalcap).</summary>
    public static readonly IReadOnlySet<string> Punctuations = new HashSet<string>(StringComparer.Ordinal)
    {
        "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";",
    };

    /// <summary>Tokenizes one caption as pycocoevalcap's PTBTokenizer step does, as a file of that caption alone:
    /// lower-cased tokens without the punctuation tokens, joined by single spaces (the string its scorers
    /// receive).</summary>
    public static string Tokenize(string caption) => Tokenize([caption])[0];

    /// <summary>Tokenizes captions as pycocoevalcap's PTBTokenizer step does with one call: written one a line and
    /// lexed as one text (a rule's look-ahead can see the next line), each line then lower-cased, stripped of the
    /// punctuation tokens and joined by single spaces. Give them in pycocoevalcap's order (image by image, each
    /// image's captions in order) to reproduce it exactly.</summary>
    /// <returns>One tokenized caption per caption, in order.</returns>
    public static string[] Tokenize(IReadOnlyList<string> captions)
    {
        if (captions.Count == 0) return [];
        // pycocoevalcap replaces '\n' by ' '; the other characters the lexer takes for a line break would split a
        // caption in two (and shift every later one), so they become spaces too. Soft hyphens: see the remarks.
        string text = string.Join('\n', captions.Select(c => LineBreaksInCaption.Replace(c, " ").Replace("\u00AD", "")));
        var lines = new List<string>(captions.Count);
        var kept = new List<string>();
        int position = 0;
        while (position < text.Length)
        {
            var (token, consumed) = Next(text, position);
            position += Math.Max(consumed, 1);
            if (ReferenceEquals(token, LineBreak))
            {
                lines.Add(string.Join(' ', kept));
                kept.Clear();
            }
            else if (token is not null)
            {
                string lower = token.ToLowerInvariant();
                if (!Punctuations.Contains(lower)) kept.Add(lower);
            }
        }
        lines.Add(string.Join(' ', kept));
        return lines.ToArray();
    }

    /// <summary>What the lexer's NEWLINE rule matches inside a caption (U+0085 is lexed earlier as an ellipsis).</summary>
    private static readonly Regex LineBreaksInCaption = new(@"\r\n|[\n\r\u2028\u2029\u000B\u000C]", RegexOptions.CultureInvariant);

    /// <summary>The NEWLINE rule's token (Java's <c>*NL*</c>), recognised by reference: it ends a line of output.</summary>
    private static readonly string LineBreak = new("*NL*".AsSpan());

    /// <summary>The words of a tokenized caption as Python's <c>str.split()</c> finds them (what pycocoevalcap's
    /// BLEU and CIDEr count n-grams over): split at runs of Unicode white space, no empty words.</summary>
    public static string[] Words(string tokenized)
    {
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i <= tokenized.Length; i++)
        {
            bool space = i == tokenized.Length || IsPythonWhiteSpace(tokenized[i]);
            if (space && start >= 0) { words.Add(tokenized[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
        }
        return words.ToArray();
    }

    // Python's str.isspace also counts the information separators U+001C..U+001F, which .NET does not.
    private static bool IsPythonWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>One step of the lexer at <paramref name="position"/>: the token to emit (null for none) and how many
    /// characters it consumed (less than the match when a rule pushes characters back, as JFlex's trailing context
    /// and <c>yypushback</c> do).</summary>
    private static (string? Token, int Consumed) Next(string text, int position)
    {
        Match? best = null;
        Func<string, (string?, int)>? action = null;
        foreach (var (patterns, act) in Rules)
        {
            foreach (var pattern in patterns)
            {
                var match = pattern.Match(text, position);
                // Strictly longer only: on a tie the earlier rule wins, as in JFlex.
                if (match.Success && match.Length > 0 && match.Length > (best?.Length ?? 0)) { best = match; action = act; }
            }
        }
        if (best is null) return (null, 1); // JFlex's last rule: an untokenizable character is deleted
        var t = best.Groups["t"];
        return action!(t.Success ? t.Value : best.Value);
    }

    // ---- The lexer's macros (PTBLexer.flex, v3.4.1). The lexer is %caseless, which does not reach inside character
    // classes: literal words are wrapped in (?i:...), classes are left case-sensitive. ----

    private const string Letter = @"[\p{L}\p{Mn}\p{Mc}\p{Me}]";
    private const string Digit = @"\p{Nd}";
    private const string LetterOrDigit = @"[\p{L}\p{Nd}]"; // THING's ([:letter:]|[:digit:])
    private const string Space = @"[ \t\u00A0\u2000-\u200A\u3000]";
    private const string NewLine = @"(?:\r\n|[\r\n\u2028\u2029\u000B\u000C\u0085])";
    private const string SpaceOrNewLine = "(?:" + Space + "|" + NewLine + ")";
    private const string Sgml = @"<(?:[!?][A-Za-z\-][^>\r\n]*|[A-Za-z][A-Za-z0-9_:.\-]*(?:[ ]+(?:[A-Za-z][A-Za-z0-9_:.\-]*[ ]*=[ ]*(?:'[^']*'|""[^""]*"")|[A-Za-z][A-Za-z0-9_:.\-]*))*[ ]*/?|/[A-Za-z][A-Za-z0-9_:.\-]*)[ ]*>";
    private const string SentenceEnd = SpaceOrNewLine + @"(?:" + SpaceOrNewLine + @"|\p{Lu}|" + Sgml + ")";
    private const string Word = Letter + "(?:" + Letter + "|" + Digit + ")*(?:[.!?]" + Letter + "(?:" + Letter + "|" + Digit + ")*)*";
    private const string Apos = @"['\u0092\u2019]";
    private const string AposEtc = @"['\u0092\u2019`\u0091\u2018\u201B]";
    private const string Redaux = Apos + "(?:[msdMSD]|(?i:re|ve|ll))";
    private const string SWord = "[A-Za-z]*[A-MO-Za-mo-z]";
    private const string SRedaux = "(?i:n)" + AposEtc + "(?i:t)";
    private const string Hyphen = @"[-_\u058A\u2010\u2011]";
    private const string ThingPrefix = "(?:[dDoOlL]" + AposEtc + LetterOrDigit + ")?";
    private const string Thing = ThingPrefix + LetterOrDigit + "+(?:" + Hyphen + ThingPrefix + LetterOrDigit + "+)*";
    private const string ThingA = "[A-Z]+(?:(?:[+&]|(?i:&amp;))[A-Z]+)+";
    private const string Thing3 = @"[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}";
    private const string AcroSpecial = @"(?i:u\.s\.-(?:u\.s\.s\.r|u\.k)|(?:canada|sino|korean|eu|japan|non)-u\.s)";
    private const string Acro = "(?:" + AcroSpecial + @"|[A-Za-z](?:\.[A-Za-z])*)";
    private const string Acro2 = "(?:" + AcroSpecial + @"|[A-Za-z](?:\.[A-Za-z])+)";
    private const string HThing = @"[A-Za-z0-9][A-Za-z0-9.,]*(?:-(?:" + Acro2 + @"\.|[A-Za-z0-9]+))+";
    private const string AbMonth = "(?i:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)";
    private const string AbDays = "(?i:mon|tues|tue|thurs|thu|wed|fri)";
    private const string AbState = "(?:(?i:ala|ariz)|A(?i:z)|A(?i:rk)|(?i:calif|colo|conn|ct|dak)|D(?i:el)|(?i:fla|ga)|I(?i:ll)|(?i:ind|kans|kan|ky)|L(?i:a)|M(?i:ass)|(?i:md|mich|minn)|M(?i:iss)|(?i:mont|mo|neb|nev|okla)|O(?i:re)|P(?i:a)|(?i:penn|tenn)|T(?i:ex)|(?i:va|vt)|W(?i:ash)|(?i:wisc|wis|wyo))";
    private const string AbComp = "(?:(?i:inc|cos|co|corp)|(?i:pp?t)[ye](?i:s)?|(?i:ltd|plc|rt|bancorp|bhd|assn|univ|intl|sys))";
    private const string AbNum = "(?i:tel|est|ext|sq)";
    private const string AbPersonTitle = @"(?i:jr|sr|bros|ed\.d|ph\.d|blvd|rd|esq)";
    private const string Abbrev1 = "(?:" + AbMonth + "|" + AbDays + "|" + AbState + "|" + AbComp + "|" + AbNum + "|" + AbPersonTitle + @"|(?i:etc|al|seq|bldg))\.";
    private const string AbTitle = "(?:(?i:mrs|mr|ms)|M(?i:iss)|(?i:drs|dr|profs|prof|sens|sen|reps|rep|attys|atty|lt|col|gen|messrs|govs|gov|adm|rev|maj|sgt|cpl|pvt|capt|ste|st|ave|pres|lieut|hon|brig|comdr|cmdr|pfc|spc|supts|supt|det|mt|ft|adj|adv|asst|assoc|ens|insp|mlle|mme|msgr|sfc))";
    private const string AbComp2 = "(?:(?i:invt|elec|natl|dept)|(?i:m)[ft](?i:g))";
    private const string Abbrev4 = "(?:" + AbTitle + @"|(?i:vs|alex|wm|jos|cie|a\.k\.a|cf|treas|ph)|" + Acro + "|" + AbComp2 + ")";
    private const string Abbrev3 = @"(?i:ca|figs|fig|prop|nos|no|art|bldg|pp|op)\.";
    private const string InSentencePunctuation = @"[,;:\u3001]";
    private const string FileNameExtension = "(?i:bat|bmp|class|cgi|cpp|c|dll|docx|doc|exe|gif|gz|html|htm|h|jar|java|jpeg|jpg|mov|mp3|pdf|php|pl|png|ppt|ps|py|sql|tar|txt|wav|xml|x|zip)";
    private const string MiscSymbol = @"[+%&~\^|\\¦\u00A7¨\u00A9\u00AC\u00AE¯\u00B0-\u00B3\u00B4-\u00BA\u00D7\u00F7\u0387\u05BE\u05C0\u05C3\u05C6\u05F3\u05F4\u0600-\u0603\u0606-\u060A\u060C\u0614\u061B\u061E\u066A\u066D\u0703-\u070D\u07F6\u07F7\u07F8\u0964\u0965\u0E4F\u1FBD\u2016\u2017\u2020-\u2023\u2030-\u2038\u203B\u203E-\u2042\u2044\u207A-\u207F\u208A-\u208E\u2100-\u214F\u2190-\u21FF\u2200-\u2BFF\u3012\u30FB\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65]";

    /// <summary>After an acronym, these words (capitalised) make its period a sentence end.</summary>
    private static readonly string[] SentenceStarters =
    [
        "According", "Additionally", "However", "Earlier", "About", "After", "Other", "Since", "Their", "There",
        "These", "While", "Many", "More", "Once", "Some", "Such", "That", "Then", "They", "This", "When", "What", "Here",
        "Last", "But", "Her", "Mr.", "Ms.", "Now", "One", "Our", "She", "The", "Yet", "You", "An", "As", "At", "He", "If",
        "In", "It", "So", "We", "A",
    ];

    private static (string? Token, int Consumed) Keep(string token) => (token, token.Length);

    // Abbreviations, acronyms and file names are long alternations, tried at every position; a look-ahead for what
    // they all need (letters, dots and hyphens up to a period or a space; for a file name, a period after its first
    // run of letters and digits) rejects most positions first. Implied by the patterns, so it changes no match.
    private const string AbbreviationThenPeriod = @"(?=\p{L}[\p{L}.\-]*\.)";
    private const string AbbreviationThenSpace = @"(?=\p{L}[\p{L}.\-]*" + SpaceOrNewLine + ")";
    private const string FileNameGuard = "(?=(?:" + Letter + "|" + Digit + @")+\.)";

    /// <summary>JFlex's <c>yypushback(n)</c> after emitting the shortened text (<c>cannot</c> → <c>can</c>, the rest
    /// lexed again).</summary>
    private static Func<string, (string?, int)> PushBack(int n) => t => (t[..^n], t.Length - n);

    /// <summary>An abbreviation emitted with its period, which is also pushed back and lexed again (as a
    /// <c>.</c> that is dropped): the lexer's non-strict treatment of a sentence-final abbreviation.</summary>
    private static (string? Token, int Consumed) KeepAndRepeatPeriod(string token) => (token, token.Length - 1);

    /// <summary><c>handleQuotes</c> with LaTeX quotes (the lexer's default).</summary>
    private static string LatexQuotes(string token, bool probablyLeft)
    {
        var s = new StringBuilder(token.Length + 2);
        foreach (char c in token)
        {
            s.Append(c switch
            {
                '\'' => probablyLeft ? "`" : "'",
                '"' => probablyLeft ? "``" : "''",
                '\u0091' or '\u2018' or '\u201B' or '\u2039' => "`",
                '\u0092' or '\u2019' or '\u203A' => "'",
                '\u0093' or '\u201C' or '\u00AB' => "``",
                '\u0094' or '\u201D' or '\u00BB' => "''",
                _ => c.ToString(),
            });
        }
        return s.ToString();
    }

    private static string Brackets(string token)
        => token.Replace("(", "-LRB-").Replace(")", "-RRB-");

    private static string NormaliseAmpersand(string token) => Regex.Replace(token, "(?i:&amp;)", "&");

    private static string NormaliseCurrency(string token)
        => token.Replace("\u00A2", "cents").Replace("\u00A3", "#").Replace("\u0080", "$").Replace("\u00A4", "$").Replace("\u20A0", "$").Replace("\u20AC", "$");

    private static string NormaliseFraction(string token)
        => token.Replace("\u00BC", "1/4").Replace("\u00BD", "1/2").Replace("\u00BE", "3/4").Replace("\u2153", "1/3").Replace("\u2154", "2/3");

    private static (Regex[] Patterns, Func<string, (string?, int)> Act) Rule(Func<string, (string?, int)> act, params string[] patterns)
        => (patterns.Select(p => new Regex(@"\G(?:" + p + ")", RegexOptions.CultureInvariant | RegexOptions.Compiled)).ToArray(), act);

    private static (Regex[] Patterns, Func<string, (string?, int)> Act) Rule(params string[] patterns) => Rule(Keep, patterns);

    private static (Regex[] Patterns, Func<string, (string?, int)> Act) Map(Func<string, string?> map, params string[] patterns)
        => Rule(t => (map(t), t.Length), patterns);

    /// <summary>A rule with trailing context (<c>token/context</c>): the context counts for the longest match but
    /// is not consumed.</summary>
    private static string Before(string token, string context) => "(?<t>" + token + ")(?:" + context + ")";

    /// <summary>The lexer's rules in PTBLexer.flex's order (v3.4.1); a rule with several patterns stands for one
    /// rule whose alternatives are tried separately so that the longest wins.</summary>
    private static readonly (Regex[] Patterns, Func<string, (string?, int)> Act)[] Rules =
    [
        Rule(@"(?i:c)\+\+"),
        Rule("(?i:c|f)#"),
        Rule(PushBack(3), "(?i:cannot)"),
        Rule(PushBack(3), "'(?i:twas)"),
        Rule(PushBack(2), "'(?i:tis)"),
        Rule(PushBack(2), "(?i:gonna|gotta|lemme|gimme|wanna)"),
        Map(t => t.Replace(' ', '\u00A0'), Sgml),
        Map(_ => "--", "(?i:&(?:mdash|ndash|md);)", @"[\u0096\u0097\u2013\u2014\u2015]"),
        Map(NormaliseAmpersand, "(?i:&amp;)"),
        Rule("(?i:&(?:ht|tl|ur|lr|qc|ql|qr|odq|cdq|#[0-9]+);)"),
        Rule(Before(Word, Redaux)),
        Rule(Before(SWord, SRedaux)),
        Rule(Word),
        Rule(Apos + "(?i:n)" + Apos + "?", "[lLdDjJ]" + Apos, "(?i:dunkin)" + Apos, "(?i:somethin)" + Apos, "(?i:ol)" + Apos,
            Apos + "(?i:em)", "[A-HJ-XZn]" + AposEtc + Letter + "{2,}", Apos + "[2-9]0(?i:s)", Apos + "(?i:till?)",
            Letter + "+[aeiouyAEIOUY]" + AposEtc + "[aeiouA-Z]" + Letter + "*", Apos + "(?i:cause)",
            @"(?i:cont'd\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)", "(?i:o)" + AposEtc + "(?i:o)"),
        Rule(Before("(?i:y)" + Apos, Letter)),
        Rule(@"(?i:https?)://[^ \t\n\f\r""<>|(){}]+[^ \t\n\f\r""<>|.!?(){},-]"),
        Rule(@"(?:(?i:www)\.(?:[^ \t\n\f\r""<>|.!?(){},]+\.)+[a-zA-Z]{2,4})(?:/[^ \t\n\f\r""<>|()]+[^ \t\n\f\r""<>|.!?(){},-])?",
            @"(?:(?:[^ \t\n\f\r""`'<>|.!?(){},-_$]+\.)+(?i:com|net|org|edu))(?:/[^ \t\n\f\r""<>|()]+[^ \t\n\f\r""<>|.!?(){},-])?"),
        Rule(@"(?:(?i:&lt;)|<)?[a-zA-Z0-9][^ \t\n\f\r""<>|()\u00A0{}]*@(?:[^ \t\n\f\r""<>|(){}.\u00A0]+\.)*[^ \t\n\f\r""<>|(){}.\u00A0]+(?:(?i:&gt;)|>)?"),
        Rule("@[a-zA-Z_][a-zA-Z_0-9]*", "#" + Letter + "+"),
        Map(t => LatexQuotes(t, false), Before(Redaux, "[^A-Za-z]"), Before(SRedaux, "[^A-Za-z]")),
        Rule(Digit + "{1,2}[-/]" + Digit + "{1,2}[-/]" + Digit + "{2,4}"),
        Rule(@"[\-+]?" + Digit + "+", @"[\-+]?" + Digit + @"*(?:[.:,\u066B\u066C]" + Digit + "+)+"),
        Rule(@"[\u207A\u207B\u208A\u208B]?(?:[\u2070\u00B9\u00B2\u00B3\u2074-\u2079]+|[\u2080-\u2089]+)"),
        Map(t => t.Replace(' ', '\u00A0'), "(?:" + Digit + @"{1,4}[- \u00A0])?" + Digit + @"{1,4}(?:\\?/|\u2044)" + Digit + "{1,4}"),
        Map(NormaliseFraction, @"[\u00BC\u00BD\u00BE\u2153-\u215E]"),
        Map(NormaliseAmpersand, "-(?i:rrb|lrb|rcb|lcb|rsb|lsb)-", @"(?i:c\.d\.s)", "(?i:pro-)", "(?i:anti-)",
            "(?i:s)(?:&|(?i:&amp;))(?i:p-500)", "(?i:s)(?:&|(?i:&amp;))(?i:ls)", "(?i:cap)" + Apos + "(?i:n)", "(?i:c)" + Apos + "(?i:est)"),
        Rule(Thing3),
        Rule(@"[A-Z]*\$", "#"),
        Map(NormaliseCurrency, @"[\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6]"),
        // An acronym before a capitalised sentence starter ends the sentence: a one-letter "acronym" ("I.") loses its
        // period, a longer one keeps it and the period is lexed again.
        Rule(t => t.Length == 2 ? (t[..1], 1) : KeepAndRepeatPeriod(t),
            AbbreviationThenPeriod + Before(Acro + @"\.", SpaceOrNewLine + "+(?:" + string.Join("|", SentenceStarters.Select(w => w[0] + "(?i:" + Regex.Escape(w[1..]) + ")")) + "|" + Sgml + ")" + SpaceOrNewLine)),
        Rule(AbbreviationThenPeriod + Before(Abbrev3, SpaceOrNewLine + "?" + Digit)),
        Rule(AbbreviationThenPeriod + Before("(?:(?i:pt)[eyEY]|(?i:co))\\.", Space + "(?i:ltd|lim)")),
        Rule(KeepAndRepeatPeriod, AbbreviationThenPeriod + Before(Abbrev1, SentenceEnd)),
        Rule(AbbreviationThenPeriod + Before(Abbrev1, @"[\s\S][\s\S]")),
        Rule(KeepAndRepeatPeriod, AbbreviationThenPeriod + Abbrev1),
        Rule(AbbreviationThenPeriod + Abbrev4 + @"\."),
        Rule(AbbreviationThenSpace + Before(Abbrev4, Space)),
        Rule(AbbreviationThenSpace + Before(Acro, SpaceOrNewLine)),
        Rule(Before(Apos + "[0-9][0-9]", SpaceOrNewLine)),
        Rule(FileNameGuard + Before("(?:" + Letter + "|" + Digit + ")+(?:[.](?:" + Letter + "|" + Digit + ")+)*[.]" + FileNameExtension, "(?:" + SpaceOrNewLine + "|[.?!,])")),
        Rule(Before(Word + @"\.", InSentencePunctuation)),
        Map(t => Brackets(t.Replace(' ', '\u00A0')),
            @"(?:\([0-9]{2,3}\)[ \u00A0]?|(?:\+\+?)?(?:[0-9]{2,4}[\- \u00A0])?[0-9]{2,4}[\- \u00A0])[0-9]{3,4}[\- \u00A0]?[0-9]{3,5}",
            @"(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}"),
        Map(_ => "``", Before(@"""|(?i:&quot;)", "[A-Za-z0-9$]")),
        Map(_ => "''", @"""|(?i:&quot;)"),
        Map(_ => null, @"\u007F"),
        Map(_ => "<", "<|(?i:&lt;)"),
        Map(_ => ">", ">|(?i:&gt;)"),
        Map(Brackets, Before(@"[<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]]", "[^A-Za-z0-9]")),
        Map(Brackets, @"[\^x=~<>]\.\[\^x=~<>\]", @"[\-\^x=~<>']_[\-\^x=~<>']", @"\([\-\^x=~<>'][_.]?[\-\^x=~<>']\)", @"\([\^x=~<>']-[\^x=~<>'`]\)"),
        Map(_ => "-LCB-", @"\{"),
        Map(_ => "-RCB-", @"\}"),
        Map(_ => "-LSB-", @"\["),
        Map(_ => "-RSB-", @"\]"),
        Map(_ => "-LRB-", @"\("),
        Map(_ => "-RRB-", @"\)"),
        Map(t => t.Length is 3 or 4 ? "--" : t, "-+"),
        Map(_ => "...", @"\.{3,5}", @"(?:\.[ \u00A0]){2,4}\.", @"[\u0085\u2026]"),
        Rule("@+", "#+", "_+"),
        Rule(@"\*+", @"(?:\\\*){1,3}"),
        Rule(InSentencePunctuation),
        Rule("[?!]+"),
        Rule(@"[.¡¿\u037E\u0589\u061F\u06D4\u0700-\u0702\u07FA\u3002]"),
        Rule("="),
        Rule("/"),
        Rule(Before(HThing + @"\.", InSentencePunctuation)),
        Rule(HThing),
        Rule(Before(Thing + @"\.", InSentencePunctuation)),
        Rule(Thing),
        Map(NormaliseAmpersand, Before(ThingA + @"\.", InSentencePunctuation)),
        Map(NormaliseAmpersand, ThingA),
        Map(_ => "`", Before("'", @"[A-Za-z][^ \t\n\r\u00A0]")),
        Map(t => LatexQuotes(t, false), Redaux, SRedaux),
        Map(t => LatexQuotes(t, false), Apos, "''", @"[`\u2018\u2019\u201A\u201B\u201C\u201D\u0091\u0092\u0093\u0094\u201E\u201F\u2039\u203A\u00AB\u00BB]{1,2}"),
        Rule("<<", ">>"),
        Rule(MiscSymbol),
        Map(_ => null, @"\0", Space + "+", @"[\u200B\u200E\u200F\uFEFF]"),
        Map(_ => LineBreak, NewLine),
        Map(_ => null, "(?i:&nbsp;)"),
    ];
}
