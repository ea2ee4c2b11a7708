"""The TAP stream of a run and the test object a scenario asserts with.

Results numbers the results as they come, prints them and keeps a full log;
its last line is 'N passed, N failed' (', N skipped' when some are).
Checker is the `t` of a scenario function. ProgramOutput turns the KTAP
a guest program streams (a kselftest) into results of their own.
"""

import re


class Results:
    """Numbered TAP output, a full log, and the final tally."""

    def __init__(self, log_path):
        self.n = self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.prefix = ""
        self.log = open(log_path, "w")
        self.emit("TAP version 13")

    def emit(self, line):
        print(line, flush=True)
        self.log.write(line + "\n")
        self.log.flush()

    def note(self, text):
        for line in str(text).rstrip("\n").splitlines():
            self.emit("# " + line)

    def result(self, ok, name, skip=None, diag=None):
        self.n += 1
        name = self.prefix + name
        if skip is not None:
            self.skipped += 1
            self.emit(f"ok {self.n} - {name} # SKIP {skip}")
            return True
        if ok:
            self.passed += 1
            self.emit(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            self.failures.append(name)
            self.emit(f"not ok {self.n} - {name}")
            if diag:
                self.note(diag)
        return bool(ok)

    def finish(self, before_last=None):
        """The plan, the failures by name, before_last (a note, e.g. the
        run's duration) and the closing line; the exit status."""
        self.emit(f"1..{self.n}")
        for name in self.failures:
            self.emit(f"# failed: {name}")
        if before_last:
            self.note(before_last)
        line = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            line += f", {self.skipped} skipped"
        self.emit(line)
        return 1 if self.failed or not self.n else 0


class Stop(Exception):
    """Raised by Checker.require(): the rest of the test cannot run."""


class Checker:
    """What a scenario function asserts with: t.ok(), t.eq(), t.skip(), and
    t.require() for a check the rest of the test depends on."""

    def __init__(self, results, prefix):
        self.results = results
        self.prefix = prefix

    def ok(self, cond, desc, diag=None):
        return self.results.result(cond, f"{self.prefix}: {desc}", diag=diag)

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, diag=f"got:  {got!r}\nwant: {want!r}")

    def require(self, cond, desc, diag=None):
        """t.ok(), and on failure end the test function there (the next
        test of the file still runs)."""
        if not self.ok(cond, desc, diag=diag):
            raise Stop(desc)
        return True

    def skip(self, desc, reason):
        self.results.result(True, f"{self.prefix}: {desc}", skip=reason)

    def note(self, text):
        self.results.note(text)


KTAP_RESULT = re.compile(r"^(not )?ok \d+ (.*?)(?:\s+#\s*(SKIP|skip|XFAIL|TODO)\b\s*(.*))?$")


class ProgramOutput:
    """Turns a guest program's streamed output into results as lines come:
    each KTAP 'ok'/'not ok' line at the top level is one result."""

    def __init__(self, results, name):
        self.results = results
        self.name = name
        self.partial = ""
        self.recent = []
        self.seen = self.failed = 0

    def feed(self, chunk):
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()
        for line in lines:
            self.line(line)

    def line(self, line):
        self.results.log.write(f"{self.name}| {line}\n")
        m = KTAP_RESULT.match(line)
        if not m:
            self.recent = (self.recent + [line])[-12:]
            return
        self.seen += 1
        skip = (m.group(4) or "skipped") if m.group(3) in ("SKIP", "skip") else None
        if not self.results.result(not m.group(1), f"{self.name}: {m.group(2)}", skip=skip,
                                   diag="\n".join(self.recent)):
            self.failed += 1
        self.recent = []
