#!/usr/bin/env python3
"""Learns english-bpe.model, the presets' subword tokenizer: a LLaMA-style SentencePiece BPE (byte fallback, dummy
prefix, digits split, whitespace kept, identity normaliser: the settings SentencePieceTokenizer reads) of 4,096 pieces,
learnt from general English text that Debian ships, never from a benchmark's data:

- WordNet 3.0's glosses and example sentences (Debian wordnet-base; the WordNet 3.0 licence, permissive), 117,659
  lines of modern definitions ("a domesticated carnivorous mammal ...; \"the dog barked all night\"");
- Jane Austen's six novels (Debian r-cran-janeaustenr, from Project Gutenberg; the text is in the public domain),
  for prose with capitals, dialogue and questions, which glosses lack.

Run as root (it installs what it reads) with Debian's python3:
    /usr/bin/python3 plugins/Coin.Plugins.Backbones/Text/make_english_bpe.py
It rewrites english-bpe.model beside this file (byte for byte the same on a rerun) and the ids SentencePiece gives
for tests/data/tokenizers/strings.json with it (tests/data/tokenizers/english-bpe/expected.json, which the C# reader
must reproduce). Changing the model changes every token id: the llama plugin's version must change with it, so that
no cached base model trained on the old ids is reused.
"""
import gzip
import json
import os
import re
import subprocess
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
VOCAB_SIZE = 4096


def ensure_debian_packages():
    missing = [p for p in ("wordnet-base", "python3-sentencepiece", "python3-rdata")
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        subprocess.run(["apt-get", "install", "-y", *missing], check=True, stdout=subprocess.DEVNULL)


def wordnet_glosses():
    lines = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(f"/usr/share/wordnet/data.{pos}", encoding="utf-8") as f:
            for line in f:
                # Lines starting with two spaces are the licence; a synset's gloss follows " | ".
                if line.startswith("  ") or " | " not in line:
                    continue
                lines.append(line.split(" | ", 1)[1].strip())
    return lines


def austen_sentences(work):
    """The novels from the R package's lazy-load database (Rdata.rdx indexes Rdata.rdb: per object, 4 bytes of length
    and a zlib stream of R's serialisation), without installing R: the package is downloaded, not installed."""
    import rdata
    subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=work, check=True, stdout=subprocess.DEVNULL)
    deb = next(f for f in sorted(os.listdir(work)) if f.startswith("r-cran-janeaustenr_"))
    subprocess.run(["dpkg-deb", "-x", deb, "x"], cwd=work, check=True)
    data = os.path.join(work, "x", "usr", "lib", "R", "site-library", "janeaustenr", "data")
    # rdata reads .rda files: the serialised stream behind an RDX3 header.
    parse = lambda stream: rdata.conversion.convert(rdata.parser.parse_data(b"RDX3\n" + stream))
    index = parse(gzip.decompress(open(os.path.join(data, "Rdata.rdx"), "rb").read()))
    database = open(os.path.join(data, "Rdata.rdb"), "rb").read()
    sentences = []
    for name in sorted(index["variables"]):
        offset, length = (int(x) for x in index["variables"][name])
        lines = parse(zlib.decompress(database[offset + 4:offset + length]))
        paragraph = []
        for line in lines + [""]:
            if line.strip():
                paragraph.append(line.strip())
                continue
            if paragraph:
                text = " ".join(paragraph).replace("_", "")
                sentences.extend(s for s in re.split(r"(?<=[.!?])\s+(?=[\"'A-Z])", text) if s)
                paragraph = []
    return sentences


def main():
    ensure_debian_packages()
    import sentencepiece as spm
    with tempfile.TemporaryDirectory() as work:
        lines = wordnet_glosses() + austen_sentences(work)
        os.chdir(work)
        with open("corpus.txt", "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        # The input's and the output's names are recorded in the model: relative names keep its bytes the same
        # wherever it is made.
        spm.SentencePieceTrainer.train(
            input="corpus.txt", model_prefix="english-bpe", vocab_size=VOCAB_SIZE, model_type="bpe",
            byte_fallback=True, split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
            allow_whitespace_only_pieces=True, normalization_rule_name="identity", character_coverage=0.9995,
            input_sentence_size=0, shuffle_input_sentence=False, num_threads=1,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
        os.replace("english-bpe.model", os.path.join(HERE, "english-bpe.model"))
        os.chdir(HERE)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "english-bpe.model"))
    tests = os.path.join(ROOT, "tests", "data", "tokenizers")
    with open(os.path.join(tests, "strings.json"), encoding="utf-8") as f:
        strings = json.load(f)
    ids = [sp.encode(s) for s in strings]
    os.makedirs(os.path.join(tests, "english-bpe"), exist_ok=True)
    with open(os.path.join(tests, "english-bpe", "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"made_by": "sentencepiece " + spm.__version__, "ids": ids, "decoded": [sp.decode(x) for x in ids]}, f)
    print(f"{len(lines)} lines of text, {sp.get_piece_size()} pieces; {len(strings)} test strings, {sum(map(len, ids))} ids")


if __name__ == "__main__":
    main()
