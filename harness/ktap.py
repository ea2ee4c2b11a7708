"""KUnit results of a guest console, read by the base tree's own parser.

tools/testing/kunit/kunit_parser.py (what kunit.py uses) turns the KTAP a
kernel printed into a tree of tests; kunit_cases() flattens it into the
cases the harness reports. The parser prints as it goes: that goes to a
buffer, the harness prints its own TAP.
"""

import io
import os
import re
import sys

STATUS = {"SUCCESS": "ok", "FAILURE": "not ok", "SKIPPED": "skip", "TEST_CRASHED": "not ok",
          "NO_TESTS": "not ok", "FAILURE_TO_PARSE_TESTS": "not ok"}


def load_parser(tree):
    """The kunit_parser module of a kernel source tree, its printing muted."""
    path = os.path.join(tree, "tools/testing/kunit")
    if not os.path.exists(os.path.join(path, "kunit_parser.py")):
        raise SystemExit(f"error: {path}/kunit_parser.py is missing: run make tree")
    if path not in sys.path:
        sys.path.insert(0, path)
    import kunit_parser
    import kunit_printer
    kunit_parser.stdout = kunit_printer.Printer(io.StringIO())
    return kunit_parser


def skip_reason(console, case):
    """The reason a case's '# SKIP' line gives (the parser keeps only the
    status)."""
    m = re.search(rf"ok \d+ {re.escape(case)}\s*#\s*SKIP\s*(.*)$", console, re.M)
    return (m.group(1).strip() if m else "") or "skipped"


def kunit_cases(parser, console):
    """[(suite, case, 'ok' | 'not ok' | 'skip', detail)] of every KUnit case
    in a console log, in order; [] if the kernel ran no KUnit test."""
    lines = parser.extract_tap_lines(console.splitlines())
    if not lines:
        return []
    top = parser.parse_test(lines, 0, [], False)
    out = []
    for suite in top.subtests:
        cases = suite.subtests or [suite]
        for case in cases:
            status = STATUS.get(case.status.name, "not ok")
            detail = None
            if status == "skip":
                detail = skip_reason(console, case.name)
            elif status == "not ok":
                detail = "\n".join(case.log[-12:]) or case.status.name
            out.append((suite.name, case.name, status, detail))
    return out
