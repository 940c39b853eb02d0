#!/usr/bin/env python3
"""Validates experiment files against experiments/experiment.schema.json with a validator from outside Coin.

Experiment files are JSONC: JSON with // and /* */ comments and trailing commas, as VS Code's settings are. A plain
JSON parser refuses them, so they are read here with json5 (a superset of JSONC; Debian: python3-json5) and checked
by jsonschema's Draft 2020-12 validator (Debian: python3-jsonschema).

Usage: python3 experiments/validate.py FILE...
Prints one line per error (file, key path, message) and exits 0 when every file is valid, 1 otherwise.
"""
import json
import os
import sys

import json5
import jsonschema

schema_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "experiment.schema.json")
with open(schema_path, encoding="utf-8") as f:
    validator = jsonschema.Draft202012Validator(json.load(f))

invalid = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        document = json5.load(f)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        print(f"{path}: {'.'.join(map(str, error.absolute_path)) or '(top level)'}: {error.message}")
    invalid += bool(errors)
print(f"{len(sys.argv) - 1} files, {invalid} invalid")
sys.exit(1 if invalid else 0)
