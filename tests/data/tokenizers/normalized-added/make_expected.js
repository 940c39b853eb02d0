#!/usr/bin/env node
// Added tokens with "normalized": true (GPT-2's stock files have them), and the ids Hugging Face's tokenizers library
// gives, for TokenizerAgreementTests. Three tokenizer.json files built from the families in ../ (make_expected.js):
//   nfc/         the byte-level family (NFC normaliser): "world" and "Café" normalized, "<extra_0>" normalized and
//                special; "Café" written decomposed in the text matches only through NFC
//   lowercase/   the byte-level family with Sequence[NFC, Lowercase]: "World" normalized (matched as "world" in any
//                case), "ZZZ" not normalized (matched only as written)
//   metaspace/   the SentencePiece family (Prepend "▁", Replace " " by "▁"): "hello" normalized (matched as "▁hello"),
//                "<x>" normalized
// and the strings of ../strings.json plus strings written around those tokens.
//   cd tests/data/tokenizers && npm install --no-save tokenizers@0.23.2 && node normalized-added/make_expected.js
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("tokenizers");

const here = __dirname;
const parent = path.join(here, "..");
const base = (family) => JSON.parse(fs.readFileSync(path.join(parent, family, "tokenizer.json"), "utf8"));
const token = (id, content, special) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special });

function withTokens(json, tokens) {
  let next = Math.max(...Object.values(json.model.vocab), ...json.added_tokens.map((t) => t.id)) + 1;
  for (const [content, special, normalized] of tokens) json.added_tokens.push({ ...token(next++, content, special), normalized });
  return json;
}

const nfc = withTokens(base("byte-level"), [["world", false, true], ["Café", false, true], ["<extra_0>", true, true]]);
const lowercase = base("byte-level");
lowercase.normalizer = { type: "Sequence", normalizers: [{ type: "NFC" }, { type: "Lowercase" }] };
withTokens(lowercase, [["World", false, true], ["ZZZ", false, false]]);
const metaspace = withTokens(base("sentencepiece"), [["hello", false, true], ["<x>", false, true]]);

const crafted = [
  "hello world", "Hello World", "HELLO WORLD", "worldworld", "a world of worlds", "Café", "Cafe\u0301", "cafe\u0301 CAFÉ",
  "<extra_0>", "x<extra_0>y", "<EXTRA_0>", "ZZZ", "zzz", "aZZZb", "World<|endoftext|>world", "<|endoftext|>hello",
  "hello", " hello", "hellohello", "say hello", "<x>", "a<x>b", "hello<x>hello", "<x> hello", "<s>hello</s>", "helloworld",
];
const strings = JSON.parse(fs.readFileSync(path.join(parent, "strings.json"), "utf8")).concat(crafted);
fs.writeFileSync(path.join(here, "strings.json"), JSON.stringify(strings, null, 0));

for (const [name, json] of Object.entries({ nfc, lowercase, metaspace })) {
  const folder = path.join(here, name);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, "tokenizer.json");
  fs.writeFileSync(file, JSON.stringify(json));
  const tokenizer = Tokenizer.fromFile(file);
  Promise.all(strings.map((s) => tokenizer.encode(s, null, { addSpecialTokens: false }))).then((encodings) => {
    const ids = encodings.map((e) => Array.from(e.getIds()));
    fs.writeFileSync(path.join(folder, "expected.json"), JSON.stringify({ made_by: "tokenizers (npm) " + require("tokenizers/package.json").version, ids }));
    console.log(name, ids.reduce((n, x) => n + x.length, 0), "ids");
  });
}
