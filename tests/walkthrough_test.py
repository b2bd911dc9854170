#!/usr/bin/env python3
"""Runs a walk-through of docs/documents.md as written, and fails on the first difference.

usage: walkthrough_test.py DOCS_MD "SECTION TITLE" SOURCE_DIR BINARY_DIR

In the section (from its "## " heading to the next one):
- a ```console block holds commands ("$ " lines) each followed by the exact output it must print
  (stdout and stderr together; trailing spaces ignored);
- a ```yaml block right after the comment <!-- walkthrough: write FILE --> is written to FILE.
Everything runs in order, in a new folder holding a link `examples` to the source tree's examples,
with BINARY_DIR first on the PATH (so `sensix` is the build's). Exit 77 (skipped) when set-up has not
filled $SENSIX_CACHE.
"""
import os
import re
import subprocess
import sys
import tempfile


def section(text, title):
    start = text.find("\n## " + title + "\n")
    if start < 0:
        sys.exit(f"no section '## {title}'")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def steps(text):
    """Yields ('write', file, content) and ('run', command, expected_lines) in order."""
    lines = text.split("\n")
    i = 0
    pending_write = None
    while i < len(lines):
        line = lines[i]
        m = re.match(r"<!-- walkthrough: write (\S+) -->", line)
        if m:
            pending_write = m.group(1)
        elif line.startswith("```") and line != "```":
            lang = line[3:].strip()
            j = i + 1
            while lines[j] != "```":
                j += 1
            body = lines[i + 1 : j]
            if lang == "console":
                cmd, out = None, []
                for b in body:
                    if b.startswith("$ "):
                        if cmd is not None:
                            yield ("run", cmd, out)
                        cmd, out = b[2:], []
                    else:
                        out.append(b)
                if cmd is not None:
                    yield ("run", cmd, out)
            elif pending_write:
                yield ("write", pending_write, "\n".join(body) + "\n")
                pending_write = None
            i = j
        i += 1


def main():
    doc, title, source, binary = sys.argv[1:5]
    cache = os.environ.get("SENSIX_CACHE", "")
    if not cache or not os.path.isdir(os.path.join(cache, "models", "openwakeword")):
        print("skipped: run scripts/setup (no models in $SENSIX_CACHE)")
        return 77
    with open(doc, encoding="utf-8") as f:
        text = section(f.read(), title)
    env = dict(os.environ, PATH=binary + os.pathsep + os.environ.get("PATH", ""))
    ran = 0
    with tempfile.TemporaryDirectory(prefix="sensix-walkthrough-") as work:
        os.symlink(os.path.join(source, "examples"), os.path.join(work, "examples"))
        for kind, what, content in steps(text):
            if kind == "write":
                with open(os.path.join(work, what), "w", encoding="utf-8") as f:
                    f.write(content)
                print(f"wrote {what}")
                continue
            ran += 1
            print(f"$ {what}")
            p = subprocess.run(["bash", "-o", "pipefail", "-c", what], cwd=work, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
            got = [l.rstrip() for l in p.stdout.rstrip("\n").split("\n")] if p.stdout.strip() else []
            want = [l.rstrip() for l in content]
            if got != want:
                print("the output differs from the documentation:")
                print("--- documented\n" + "\n".join(want))
                print("+++ printed (exit status %d)\n" % p.returncode + "\n".join(got))
                return 1
            # A documented error exits 1; everything else must succeed.
            expect_fail = any(l.startswith("error: ") for l in want)
            if (p.returncode != 0) != expect_fail:
                print(f"exit status {p.returncode} (expected {'non-zero' if expect_fail else '0'})")
                return 1
    if ran == 0:
        print("no commands found in the section")
        return 1
    print(f"ok: {ran} commands printed what the documentation says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
