#!/usr/bin/env python3
"""scripts/check-skips can fail: planted ctest reports (JUnit) with an allowed skip, an unexpected
one, no skip, no tests, and no report at all, each with the exit status it must give."""
import os
import subprocess
import sys
import tempfile

CASE = '<testcase name="{name}" classname="{name}" time="0.1" status="{status}">{inner}</testcase>'


def report(cases):
    body = "".join(CASE.format(name=n, status="notrun" if s else "run",
                               inner='<skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>'
                               '<system-out>x.cpp:1: Skipped\nno model file\n</system-out>' if s else "")
                   for n, s in cases)
    return f'<?xml version="1.0" encoding="UTF-8"?><testsuite name="t" tests="{len(cases)}">{body}</testsuite>'


def main():
    script = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        allowed = os.path.join(d, "allowed.txt")
        with open(allowed, "w") as f:
            f.write("# a comment\nCam.NoDevice   # no camera\n")
        planted = {
            "allowed": ([("Cam.NoDevice", True), ("A.B", False)], 0, "1 skip(s), all allowed"),
            "unexpected": ([("Cam.NoDevice", True), ("Zoo.Pose", True)], 1,
                           "Zoo.Pose skipped, and tests/allowed-skips.txt does not allow it: no model file"),
            "none": ([("A.B", False)], 0, "0 skip(s)"),
        }
        for name, (cases, code, text) in planted.items():
            path = os.path.join(d, name + ".xml")
            with open(path, "w") as f:
                f.write(report(cases))
            p = subprocess.run([script, path, allowed], capture_output=True, text=True)
            out = p.stdout + p.stderr
            if p.returncode != code or text not in out:
                print(f"{name}: exit {p.returncode} (want {code}), output:\n{out}")
                failures += 1
        empty = os.path.join(d, "empty.xml")
        with open(empty, "w") as f:
            f.write(report([]))
        for what, path in (("missing report", os.path.join(d, "missing.xml")), ("report without tests", empty)):
            p = subprocess.run([script, path, allowed], capture_output=True, text=True)
            if p.returncode != 2:
                print(f"{what}: exit {p.returncode} (want 2)")
                failures += 1
    print("ok" if failures == 0 else f"{failures} case(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
