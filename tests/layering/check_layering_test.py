#!/usr/bin/env python3
"""Proves that scripts/check-layering can fail: runs it on the planted trees under fixtures/.

fixtures/good/src: every kind of allowed include (each layer down, spec/ -> common/, runtime/ -> docs/,
  subfolders, tests using the test-support library, third-party headers); the script must pass.
fixtures/bad/src: each forbidden include is marked with a "// planted" comment; the script must fail and
  name exactly those file:line pairs, each as `path:line: <folder> may not include <header> (<rule>)`.
fixtures/unknown/src: a top folder (fleet/) that the rules do not place; the script must fail and name it.
Independent of the real src/ tree. Usage: check_layering_test.py [path to check-layering]
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "scripts", "check-layering")
FIXTURES = os.path.join(HERE, "fixtures")
LOCATION_RE = re.compile(r"^(.+?):(\d+): ")
INCLUDE_RE = re.compile(r'#\s*include\s*"([^"]+)"')

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def run(root):
    result = subprocess.run([SCRIPT, root], capture_output=True, text=True)
    print(f"$ check-layering {os.path.relpath(root, HERE)}  (exit {result.returncode})")
    print(result.stdout + result.stderr, end="")
    return result


def planted(root):
    """The (path relative to root, line, header) of every include marked "// planted" under root."""
    marks = set()
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    if "// planted" in line:
                        marks.add((os.path.relpath(path, root), number, INCLUDE_RE.search(line).group(1)))
    return marks


def named(root, stdout):
    """The (path relative to root, line) -> message of every file:line the script printed."""
    found = {}
    for line in stdout.splitlines():
        m = LOCATION_RE.match(line)
        if m:
            path = os.path.relpath(os.path.abspath(m.group(1)), os.path.abspath(root))
            found[(path, int(m.group(2)))] = line[m.end():]
    return found


def main():
    good = os.path.join(FIXTURES, "good", "src")
    result = run(good)
    check(result.returncode == 0, f"good tree: exit {result.returncode}, expected 0")
    check("OK" in result.stdout and not named(good, result.stdout), "good tree: expected only the OK summary")

    bad = os.path.join(FIXTURES, "bad", "src")
    marks = planted(bad)
    check(len(marks) >= 10, f"bad tree: only {len(marks)} planted includes found")
    result = run(bad)
    check(result.returncode == 1, f"bad tree: exit {result.returncode}, expected 1")
    found = named(bad, result.stdout)
    for path, number, header in sorted(marks):
        message = found.get((path, number))
        if message is None:
            failures.append(f"bad tree: planted violation {path}:{number} ({header}) not named")
            continue
        folder = path.split(os.sep)[0]
        check(re.fullmatch(rf"{folder} may not include {re.escape(header)} \(.+\)", message) is not None,
              f"bad tree: {path}:{number}: unexpected message '{message}'")
    for path, number in sorted(set(found) - {(p, n) for p, n, _ in marks}):
        failures.append(f"bad tree: {path}:{number} named but not planted: {found[(path, number)]}")
    check(f"{len(marks)} violations" in result.stdout, f"bad tree: summary does not count {len(marks)} violations")

    unknown = os.path.join(FIXTURES, "unknown", "src")
    marks = planted(unknown)
    result = run(unknown)
    check(result.returncode == 1, f"unknown folder: exit {result.returncode}, expected 1")
    check("unknown top folder fleet/" in result.stdout, "unknown folder: fleet/ not named")
    found = named(unknown, result.stdout)
    check({(p, n) for p, n, _ in marks} == set(found),
          f"unknown folder: named {sorted(found)}, planted {sorted((p, n) for p, n, _ in marks)}")

    result = run(os.path.join(FIXTURES, "no-such-tree"))
    check(result.returncode == 2, f"missing root: exit {result.returncode}, expected 2")

    for failure in failures:
        print(f"FAIL: {failure}")
    print("check_layering_test: " + (f"{len(failures)} failures" if failures else "all checks passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
