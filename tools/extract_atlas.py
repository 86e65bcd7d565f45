"""Extract the ATLAS technique and mitigation ids that the catalog may cite.

Usage: python tools/extract_atlas.py PATH/TO/ATLAS.yaml > src/failmodes/catalog/reference/atlas.yaml

Only ids, names and technique maturity are kept: the catalog cites ids, and a test checks
each against this list. The output keeps MITRE's copyright and licence notice.
"""

from __future__ import annotations

import sys

import yaml


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        atlas = yaml.safe_load(handle)
    matrix = atlas["matrices"][0]
    data = {
        "version": str(atlas["version"]),
        "techniques": {
            t["id"]: {"name": t["name"], "maturity": t.get("maturity")}
            for t in matrix["techniques"]
        },
        "mitigations": {m["id"]: {"name": m["name"]} for m in matrix["mitigations"]},
    }
    print(
        "# MITRE ATLAS technique and mitigation ids and names, extracted from ATLAS.yaml\n"
        f"# version {data['version']} (mitre-atlas/atlas-data). Copyright 2021-2025 The MITRE "
        "Corporation.\n# Licensed under the Apache License, Version 2.0: see ATLAS-LICENSE.txt "
        "beside this file.\n# Regenerate with tools/extract_atlas.py."
    )
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), end="")


if __name__ == "__main__":
    main(sys.argv[1])
