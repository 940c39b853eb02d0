#!/usr/bin/env python3
"""How SentencePiece itself decodes byte pieces that do not spell valid UTF-8, for TokenizerAgreementTests: with the
existing tokenizer.model (byte fallback), seeded random runs of byte pieces mixed with ordinary pieces, and hand-picked
invalid sequences (a lead byte without its continuation, surrogates, overlong forms, code points past U+10FFFF, a
literal U+FFFD). SentencePiece writes one U+FFFD per byte that does not start a valid character and keeps the valid
characters between them; decoding the bytes of a run all at once would give one U+FFFD per byte.
Run with Debian's python3-sentencepiece:  /usr/bin/python3 tests/data/tokenizers/sentencepiece-model/make_byte_decoding.py
"""
import json
import os
import random

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "tokenizer.model"))
byte_id = {int(sp.id_to_piece(i)[3:5], 16): i for i in range(sp.get_piece_size()) if sp.is_byte(i)}
assert len(byte_id) == 256
ordinary = [i for i in range(sp.get_piece_size()) if not (sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i))]

named = [
    [0xD8, 0xD2, 0xBB, 0xB3],              # the example of issue 28: U+FFFD, U+04BB, U+FFFD
    [0xED, 0xA0, 0x80],                    # a UTF-16 surrogate encoded as UTF-8
    [0xF4, 0x90, 0x80, 0x80],              # past U+10FFFF
    [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80],   # overlong forms
    [0xEF, 0xBF, 0xBD],                    # U+FFFD itself, valid
    [0xE2, 0x82], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xF0, 0x9F, 0x98],
    [0x80], [0xBF, 0x41], [0xFF, 0xFE], [0x41, 0xC3, 0xA9, 0xC3],
]
sequences = [[byte_id[b] for b in s] for s in named]
rng = random.Random(0)
for _ in range(300):
    ids = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.7:
            # Bytes weighted towards UTF-8's lead and continuation ranges, so valid characters occur among invalid ones.
            ids += [byte_id[rng.choice([rng.randint(0x80, 0xBF), rng.randint(0xC2, 0xF4), rng.randint(0, 0xFF)])] for _ in range(rng.randint(1, 5))]
        else:
            ids.append(rng.choice(ordinary))
    sequences.append(ids)
with open(os.path.join(HERE, "byte-decoding.json"), "w") as f:
    json.dump({"made_by": "sentencepiece " + spm.__version__, "ids": sequences, "decoded": [sp.decode(s) for s in sequences]}, f)
print(len(sequences), "sequences")
