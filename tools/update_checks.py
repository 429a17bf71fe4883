#!/usr/bin/env python3
"""Regenerates the CHECK lines of golden .qir tests after an intended change.

For each FILE, the first `// RUN:` line that pipes `qatc opt ...` into
`FileCheck %s` (the default prefix) is run with %s replaced by the file, and
each graph it prints replaces the `// CHECK` lines of the matching
`// -----` chunk: a CHECK-LABEL on the graph line, CHECK-NEXT for the rest.
Other prefixes and all other comments are left alone. Review the diff.

Usage: tools/update_checks.py [--qatc bazel-bin/tools/qatc] tests/passes/dce.qir ...
"""
import argparse
import re
import shlex
import subprocess
import sys

CHECK_LINE = re.compile(r"^// CHECK(-[A-Z]+)?:")
SEPARATOR = "// -----"


def run_line(text):
    for line in text.splitlines():
        match = re.match(r"^// RUN:\s*(qatc opt .*)\|\s*FileCheck %s\s*$", line)
        if match:
            return match.group(1)
    return None


def generated_checks(graph_text):
    lines = graph_text.rstrip("\n").splitlines()
    checks = ["// CHECK-LABEL: " + lines[0]]
    checks += ["// CHECK-NEXT:  " + line for line in lines[1:]]
    return checks


def update(path, qatc):
    with open(path) as f:
        text = f.read()
    command = run_line(text)
    if command is None:
        print(f"{path}: no '// RUN: qatc opt ... | FileCheck %s' line; skipped")
        return False
    argv = [qatc if word == "qatc" else word for word in shlex.split(command.replace("%s", path))]
    result = subprocess.run(argv, capture_output=True, text=True)
    graphs = [g for g in result.stdout.split(SEPARATOR + "\n") if g.strip()]
    chunks = text.split("\n" + SEPARATOR + "\n")
    graph_chunks = [i for i, chunk in enumerate(chunks) if re.search(r"^graph @", chunk, re.M)]
    if len(graphs) != len(graph_chunks):
        print(f"{path}: the command printed {len(graphs)} graphs for {len(graph_chunks)} chunks; "
              "fix the failing chunks first", file=sys.stderr)
        return False
    for index, graph in zip(graph_chunks, graphs):
        kept = [line for line in chunks[index].rstrip("\n").split("\n") if not CHECK_LINE.match(line)]
        # Keep the blank line that separates a chunk from the next separator.
        trailer = "\n" if index < len(chunks) - 1 else ""
        chunks[index] = "\n".join(kept + generated_checks(graph)) + trailer
    new_text = ("\n" + SEPARATOR + "\n").join(chunks).rstrip("\n") + "\n"
    if new_text != text:
        with open(path, "w") as f:
            f.write(new_text)
        print(f"{path}: updated")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qatc", default="bazel-bin/tools/qatc")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    ok = all([update(path, args.qatc) for path in args.files])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
