#!/usr/bin/env node
// Tokenizer fixtures for HuggingFaceTokenizerAgreementTests, and the ids Hugging Face's own tokenizers library gives
// for them. Three families, each a tokenizer.json built here from a small BPE learnt on this repository's README:
//   byte-level/       GPT-2 / Qwen2 style: ByteLevel with the GPT-2 split pattern, NFC normaliser
//   sentencepiece/    LLaMA-2 / Vicuna / Mistral style: Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer,
//                     byte_fallback with <0x00>…<0xFF>, fuse_unk, the Metaspace-style decoder
//   llama3/           LLaMA-3 style: byte-level with LLaMA-3's split pattern and ignore_merges (some vocabulary
//                     words have no merge path, so ignore_merges decides their ids)
// and strings.json: 240 strings (README lines, scripts, emoji, whitespace, digits, special tokens).
// The expected ids come from the npm package `tokenizers` (Hugging Face's Rust library):
//   cd tests/data/tokenizers && npm install --no-save tokenizers@0.23.2 && node make_expected.js
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("tokenizers");

const here = __dirname;
const readme = fs.readFileSync(path.join(here, "..", "..", "..", "README.md"), "utf8");

// ----- test strings ----------------------------------------------------------------------------------------------
function testStrings() {
  const lines = readme.split("\n").map((l) => l.slice(0, 140)).filter((l) => l.trim().length > 0);
  const picked = [];
  for (let i = 0; i < lines.length && picked.length < 170; i += Math.max(1, Math.floor(lines.length / 170))) picked.push(lines[i]);
  const crafted = [
    "", " ", "  ", "\n", "\n\n", "\t", "a", "A.", "hello world", " hello world", "hello  world", "hello world ",
    "Hello, World!", "don't I'll we've they're it's", "DON'T", "12345678901234", "3.14159 and 2,718", "x=1+2*3-4/5",
    "café naïve résumé", "e\u0301t\u00e9", "Ångström", "straße", "Zürich über Köln", "ça va? très bien!",
    "中文字符测试", "日本語のテキスト", "한국어 문장", "Привет, мир!", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם",
    "emoji 🙂🚀🎉", "👍🏽 thumbs", "family 👨‍👩‍👧", "mixed中文and English", "tabs\tand\ttabs", "line one\nline two",
    "trailing newline\n", "\nleading newline", "   three leading spaces", "spaces   inside   words", "end with spaces   ",
    "<s>", "</s>", "<unk>", "text with <s> inside", "ends with </s>", "<|endoftext|>", "a<|endoftext|>b",
    "<image>\nWhat is the color of the shape?", "ScienceQA TextVQA ImageNet GQA VizWiz Grounding VQAv2 OCRVQA",
    "[0.12, 0.34, 0.56, 0.78]", "{\"key\": \"value\", \"n\": 3}", "def f(x):\n    return x ** 2", "for (int i = 0; i < n; i++) {}",
    "https://example.com/path?q=1&r=2", "user@example.com", "C:\\Users\\name\\file.txt", "$100.00 — 50% off!",
    "…ellipsis… and “quotes” ‘single’", "a\u00a0non-breaking space", "zero\u200bwidth", "\u0000null", "bell\u0007",
    "ÿþýüûúùø", "\u00ff\u00fe", "Ω≈ç√∫˜µ≤≥÷", "unreachable unreachables Unreachable", "supercalifragilistic",
    "instruction tuning of multimodal models", "continual learning forgetting", "ACC MAA BWT FWT",
  ];
  const all = picked.concat(crafted);
  return all.slice(0, 240);
}

// ----- a small BPE learner ----------------------------------------------------------------------------------------
function learn(words, merges) {
  // words: Map<string[] (as joined key), count>; returns the merge list [[a, b], ...]
  let corpus = [...words.entries()].map(([w, c]) => ({ symbols: w, count: c }));
  const result = [];
  for (let m = 0; m < merges; m++) {
    const pairs = new Map();
    for (const { symbols, count } of corpus)
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = symbols[i] + "\u0001" + symbols[i + 1];
        pairs.set(key, (pairs.get(key) || 0) + count);
      }
    let best = null, bestCount = 1;
    for (const [key, count] of pairs) if (count > bestCount || (count === bestCount && best !== null && key < best)) { best = key; bestCount = count; }
    if (best === null) break;
    const [a, b] = best.split("\u0001");
    result.push([a, b]);
    for (const w of corpus) {
      const out = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) { out.push(a + b); i++; } else out.push(w.symbols[i]);
      }
      w.symbols = out;
    }
  }
  return result;
}

function bytesToUnicode() {
  const bs = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const map = {};
  bs.forEach((b, i) => (map[b] = String.fromCodePoint(cs[i])));
  return map;
}

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function byteLevelFamily(pattern, jsPattern, extraWords, ignoreMerges) {
  const b2u = bytesToUnicode();
  const encoder = new TextEncoder();
  const toSymbols = (piece) => [...encoder.encode(piece)].map((b) => b2u[b]);
  const words = new Map();
  for (const m of readme.matchAll(new RegExp(jsPattern, "gu"))) {
    const key = toSymbols(m[0]);
    const k = key.join("\u0002");
    words.set(k, (words.get(k) || 0) + 1);
  }
  const asLists = new Map([...words.entries()].map(([k, c]) => [k.split("\u0002"), c]));
  const merges = learn(asLists, 400);
  const vocab = {};
  let id = 0;
  for (let b = 0; b < 256; b++) vocab[b2u[b]] = id++;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  for (const w of extraWords) { const t = toSymbols(w).join(""); if (!(t in vocab)) vocab[t] = id++; }
  const eos = id++;
  return {
    version: "1.0",
    added_tokens: [{ id: eos, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: ignoreMerges ? null : { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false,
             byte_fallback: false, ignore_merges: ignoreMerges, vocab, merges: merges.map(([a, b]) => [a, b]) },
  };
}

function sentencePieceFamily() {
  const words = new Map();
  for (const w of readme.replace(/\s+/g, " ").split(" ")) {
    if (!w) continue;
    const key = ["▁", ...[...w]];
    const k = key.join("\u0002");
    words.set(k, (words.get(k) || 0) + 1);
  }
  const asLists = new Map([...words.entries()].map(([k, c]) => [k.split("\u0002"), c]));
  const merges = learn(asLists, 400);
  const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  let id = 3;
  for (let b = 0; b < 256; b++) vocab["<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">"] = id++;
  // Single characters: the README's, minus a few so that byte fallback covers letters too.
  const chars = new Set();
  for (const ch of readme) if (!/\s/.test(ch)) chars.add(ch);
  chars.add("▁");
  for (const ch of [...chars].sort()) if (!"qQzZ".includes(ch) && !(ch in vocab)) vocab[ch] = id++;
  const kept = merges.filter(([a, b]) => a in vocab && b in vocab || true);
  for (const [a, b] of kept) if (!(a + b in vocab)) vocab[a + b] = id++;
  const usable = kept.filter(([a, b]) => a in vocab && b in vocab);
  return {
    version: "1.0",
    added_tokens: ["<unk>", "<s>", "</s>"].map((t, i) => ({ id: i, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Sequence", decoders: [
      { type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" },
      { type: "Strip", content: " ", start: 1, stop: 0 }] },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true,
             byte_fallback: true, ignore_merges: false, vocab, merges: usable },
  };
}

const families = {
  "byte-level": byteLevelFamily(GPT2, GPT2, [], false),
  "sentencepiece": sentencePieceFamily(),
  "llama3": byteLevelFamily(LLAMA3, LLAMA3.replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"),
                            [" unreachable", " unreachables", "Unreachable", " supercalifragilistic"], true),
};

const strings = testStrings();
fs.writeFileSync(path.join(here, "strings.json"), JSON.stringify(strings, null, 0));
for (const [name, json] of Object.entries(families)) {
  const folder = path.join(here, name);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, "tokenizer.json");
  fs.writeFileSync(file, JSON.stringify(json));
  const tokenizer = Tokenizer.fromFile(file);
  const expected = [];
  for (const s of strings) expected.push(tokenizer.encode(s, null, { addSpecialTokens: false }));
  Promise.all(expected).then(async (encodings) => {
    const ids = encodings.map((e) => Array.from(e.getIds()));
    // What generation decodes: special tokens left out.
    const decoded = await Promise.all(ids.map((x) => tokenizer.decode(x, true)));
    fs.writeFileSync(path.join(folder, "expected.json"), JSON.stringify({ made_by: "tokenizers (npm) " + require("tokenizers/package.json").version, ids, decoded }));
    console.log(name, Object.keys(json.model.vocab).length, "tokens,", json.model.merges.length, "merges,", ids.reduce((n, x) => n + x.length, 0), "ids");
  });
}
