#!/usr/bin/env python3
"""A LLaMA-style SentencePiece model (tokenizer.model: BPE, byte fallback, dummy prefix, digits split, whitespace kept)
learnt on this repository's README, and the ids SentencePiece itself gives for ../strings.json, for
TokenizerAgreementTests. LLaVA-1.5's Vicuna ships only such a tokenizer.model.
Run with Debian's python3-sentencepiece:  /usr/bin/python3 tests/data/tokenizers/sentencepiece-model/make_expected.py
"""
import json
import os

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "..", "..", "..", "..", "README.md")

spm.SentencePieceTrainer.train(
    input=README, model_prefix=os.path.join(HERE, "tokenizer"), vocab_size=600, model_type="bpe",
    byte_fallback=True, split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
    allow_whitespace_only_pieces=True, normalization_rule_name="identity", character_coverage=0.9995,
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
os.remove(os.path.join(HERE, "tokenizer.vocab"))
sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "tokenizer.model"))
with open(os.path.join(HERE, "..", "strings.json")) as f:
    strings = json.load(f)
ids = [sp.encode(s) for s in strings]
decoded = [sp.decode(x) for x in ids]
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"made_by": "sentencepiece " + spm.__version__, "ids": ids, "decoded": decoded}, f)
print(len(strings), "strings,", sum(len(x) for x in ids), "ids")

# A unigram model (T5, XLNet, ALBERT use them), which the reader refuses by name.
spm.SentencePieceTrainer.train(input=README, model_prefix=os.path.join(HERE, "unigram"), vocab_size=300, model_type="unigram", minloglevel=2)
os.remove(os.path.join(HERE, "unigram.vocab"))
