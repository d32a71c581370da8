#!/usr/bin/env python3
"""Fails if any file under framework/ depends on a folder above or beside its own.

The folders are layers, and dependencies only point down (docs/architecture.md):

    core -> config -> {data, models} -> {regularizers, optim} -> train -> {plugin, testing}
         -> storage -> experiment -> cli

A dependency is an `#include "framework/<folder>/..."`, a name qualified with another folder's
namespace (`experiment::RunPlan`), or a declaration inside it (`namespace reglab::experiment`).
Comments are ignored. Prints every violation as FILE:LINE and exits 1 if there is any.

    /usr/bin/python3 tools/check_layers.py [--count]
"""
import pathlib
import re
import sys

LAYERS = [["core"], ["config"], ["data", "models"], ["regularizers", "optim"], ["train"],
          ["plugin", "testing"], ["storage"], ["experiment"], ["cli"]]
RANK = {folder: i for i, group in enumerate(LAYERS) for folder in group}
INCLUDE = re.compile(r'#\s*include\s+"framework/([a-z_]+)/')
NAMES = re.compile(r"\b(?:reglab::)?(" + "|".join(RANK) + r")::(?!\s)")
DECLARE = re.compile(r"\bnamespace\s+reglab::(" + "|".join(RANK) + r")\b")


def strip_comment(line):
    line = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line) if "#include" not in line else line
    return line.split("//", 1)[0]


def violations(root):
    found = []
    for path in sorted((root / "framework").rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".in") or not path.is_file():
            continue
        own = path.relative_to(root / "framework").parts[0]
        if own not in RANK:
            found.append(f"{path.relative_to(root)}: folder '{own}' is not in the layer list")
            continue
        for number, raw in enumerate(path.read_text().splitlines(), 1):
            targets = INCLUDE.findall(raw)
            code = strip_comment(raw)
            targets += NAMES.findall(code) + DECLARE.findall(code)
            for target in targets:
                if target not in RANK or target == own:
                    continue
                if RANK[target] >= RANK[own]:
                    where = "above" if RANK[target] > RANK[own] else "beside"
                    found.append(f"{path.relative_to(root)}:{number}: {own}/ depends on "
                                 f"{target}/, which is {where} it: {raw.strip()}")
    return found


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    found = violations(root)
    if "--count" in sys.argv:
        print(len(found))
        return 0
    for line in found:
        print(line)
    order = " -> ".join("{" + ", ".join(g) + "}" if len(g) > 1 else g[0] for g in LAYERS)
    print(f"check_layers: {len(found)} dependencies against the order {order}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
