#!/usr/bin/env python3
"""Checks that dependencies point the way docs/ARCHITECTURE.md says.

Two views are checked against the allowed-dependency block of docs/ARCHITECTURE.md:
  * the link graph CMake wrote at configure time (build/infermeter_link_graph.txt), and
  * the `#include "infermeter/<lib>/..."` lines of every source file under each library folder.
Also: no target of ours links a CUDA, CUPTI or NVML library (those live in run-time modules).

Usage: check_architecture.py --source-dir DIR --link-graph FILE
Exit code 0 when clean; 1 with one line per violation otherwise.
"""
import argparse
import pathlib
import re
import sys

VENDOR_LIBRARY = re.compile(r"cuda|cupti|nvidia-ml|nvml|ascend|dcmi", re.IGNORECASE)
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]infermeter/([a-z_]+)/', re.MULTILINE)
SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh", ".in"}


def read_allowed(architecture_md: pathlib.Path) -> dict:
    """Parses the ```deps block: one 'lib: dep dep' line per library, '*' for anything."""
    text = architecture_md.read_text()
    match = re.search(r"```deps\n(.*?)```", text, re.DOTALL)
    if not match:
        sys.exit(f"{architecture_md}: no ```deps block with the allowed dependencies")
    allowed = {}
    for number, line in enumerate(match.group(1).splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" not in line:
            sys.exit(f"{architecture_md}: deps block line {number}: expected 'lib: deps', got {line!r}")
        name, deps = line.split(":", 1)
        allowed[name.strip()] = set(deps.split())
    return allowed


def our_name(target: str):
    """Maps a CMake target or link item to one of our library names, or None if it is not ours."""
    if target == "infermeter":
        return "cli"
    for prefix in ("infermeter::", "infermeter_"):
        if target.startswith(prefix):
            return target[len(prefix):]
    return None


def permits(allowed: dict, lib: str, dep: str) -> bool:
    deps = allowed.get(lib)
    return deps is not None and ("*" in deps or dep in deps or dep == lib)


def check_links(allowed: dict, link_graph: pathlib.Path) -> list:
    problems = []
    for line in link_graph.read_text().splitlines():
        if ":" not in line:
            continue
        target, deps = line.split(":", 1)
        lib = our_name(target.strip())
        if lib is None:
            continue
        if lib not in allowed:
            problems.append(f"link: target {target} ({lib}) is not listed in docs/ARCHITECTURE.md")
            continue
        for dep in deps.split():
            dep_lib = our_name(dep)
            if dep_lib is not None and not permits(allowed, lib, dep_lib):
                problems.append(f"link: {lib} -> {dep_lib} is not allowed")
            if VENDOR_LIBRARY.search(dep):
                problems.append(f"link: {lib} links vendor library {dep}; load it at run time")
    return problems


def check_includes(allowed: dict, source_dir: pathlib.Path) -> list:
    problems = []
    for lib in sorted(allowed):
        folder = source_dir / lib
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            for dep in INCLUDE.findall(path.read_text(errors="replace")):
                if not permits(allowed, lib, dep):
                    problems.append(f"include: {path.relative_to(source_dir)} includes infermeter/{dep}/ "
                                    f"but {lib} may not depend on {dep}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True, type=pathlib.Path)
    parser.add_argument("--link-graph", required=True, type=pathlib.Path)
    parser.add_argument("--architecture", type=pathlib.Path,
                        help="defaults to SOURCE_DIR/docs/ARCHITECTURE.md")
    args = parser.parse_args()
    allowed = read_allowed(args.architecture or args.source_dir / "docs" / "ARCHITECTURE.md")
    problems = check_links(allowed, args.link_graph) + check_includes(allowed, args.source_dir)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"architecture ok: {len(allowed)} libraries checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
