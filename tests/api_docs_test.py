#!/usr/bin/env python3
"""Runs the commands of docs/api.md's walk-through against a real daemon, and fails on the first
command whose output does not match the lines the page shows.

usage: api_docs_test.py DOCS_MD "SECTION TITLE" SOURCE_DIR BINARY_DIR

Starts `BINARY_DIR/sensix serve` on a free loopback port with a data directory of its own, exports
SENSIX_SERVER to it, and runs each "$ " line of the section's ```console blocks with bash, in a new
folder holding a link `examples` to the source tree's examples. The lines after a command are what
it must print: each must appear, in order, in the output (a shown line matches an output line that
holds it, trailing spaces ignored, "..." inside a shown line matches anything); a line "..." alone
skips any number of output lines. A command must exit 0. Exit 77 (skipped) when set-up has not
filled $SENSIX_CACHE.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


PIPED_OK = (0, 23, 141)


def section(text, title):
    start = text.find("\n## " + title + "\n")
    if start < 0:
        sys.exit(f"no section '## {title}'")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def commands(text):
    """Yields (command, expected lines) of every ```console block, in order."""
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        cmd, out = None, []
        for line in block.rstrip("\n").split("\n"):
            if line.startswith("$ "):
                if cmd is not None:
                    yield cmd, out
                cmd, out = line[2:], []
            else:
                out.append(line)
        if cmd is not None:
            yield cmd, out


def line_matches(shown, actual):
    parts = [re.escape(p) for p in shown.rstrip().split("...")]
    return re.search(".*".join(parts), actual.rstrip()) is not None


def matches(expected, actual_lines):
    """True when the shown lines appear in order (see the module's doc)."""
    i = 0
    for shown in expected:
        if shown.strip() == "...":
            continue
        while i < len(actual_lines) and not line_matches(shown, actual_lines[i]):
            i += 1
        if i == len(actual_lines):
            return False, shown
        i += 1
    return True, None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    docs, title, source_dir, binary_dir = sys.argv[1:5]
    cache = os.environ.get("SENSIX_CACHE", os.path.expanduser("~/.cache/sensix"))
    if not os.path.exists(os.path.join(cache, "samples", "demo", "speech.wav")):
        print(f"{cache} has no samples: run scripts/setup")
        sys.exit(77)
    text = section(open(docs).read(), title)
    with tempfile.TemporaryDirectory() as work:
        os.symlink(os.path.join(source_dir, "examples"), os.path.join(work, "examples"))
        port = free_port()
        server = f"http://127.0.0.1:{port}"
        log = open(os.path.join(work, "serve.log"), "w")
        daemon = subprocess.Popen([os.path.join(binary_dir, "sensix"), "serve", "--data-dir",
                                   os.path.join(work, "state"), "--listen", f"127.0.0.1:{port}"],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(server + "/v2/health/live", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            env = dict(os.environ, SENSIX_SERVER=server, PATH=binary_dir + ":" + os.environ["PATH"])
            count = 0
            for cmd, expected in commands(text):
                # A command whose shown output depends on the models running waits for them.
                deadline = time.time() + 30
                while True:
                    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=work, env=env,
                                       capture_output=True, text=True, timeout=120)
                    ok, missing = matches(expected, r.stdout.split("\n"))
                    # "| head" ends curl early (SIGPIPE: 141, or curl's write error: 23): the shown
                    # lines are what counts then.
                    if ok and r.returncode in PIPED_OK or time.time() > deadline:
                        break
                    time.sleep(0.5)
                if not ok or r.returncode not in PIPED_OK:
                    print(f"FAIL: $ {cmd}\nexit {r.returncode}; missing line: {missing!r}\n"
                          f"--- stdout:\n{r.stdout}\n--- stderr:\n{r.stderr}")
                    log.flush()
                    print("--- daemon log:\n" + open(os.path.join(work, "serve.log")).read())
                    sys.exit(1)
                count += 1
            print(f"api_docs_test: {count} commands of '{title}' printed what the page shows")
        finally:
            daemon.terminate()
            rc = daemon.wait(timeout=30)
            if rc != 0:
                print(f"FAIL: the daemon exited {rc} on SIGTERM")
                sys.exit(1)


if __name__ == "__main__":
    main()
