#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`make shell` driven through a pseudo-terminal, as a person at a terminal would drive it.

    tests/harness/shell_pty.py PROJECT_DIR

Starts `make -s shell` on a new pseudo-terminal (its controlling terminal, in cooked mode with
echo, as a login terminal is), waits for the guest's banner and prompt, then types:

- a command that loads the module and reads /proc/loadavg_cpu, ending in `echo MARK$((40+2))`:
  only a shell in the guest prints MARK42 (the host terminal's own echo shows the text typed);
- a line edited with backspace and the left arrow (the guest's line editing);
- `sleep 600`, then Ctrl-C: the guest's sleep ends (status 130) and QEMU goes on;
- `reboot -f`: `make shell` ends with status 0.

Afterwards the terminal's modes must be those it had before (QEMU puts it in raw mode). Prints
one TAP line per check; exits 1 if any failed. The time bounds are hang guards for an emulated
guest on a busy host, not measurements: nothing asserted depends on how long a step took.
"""

import os
import re
import select
import signal
import subprocess
import sys
import termios
import time

BOOT_LIMIT = 600  # s: building what is missing (module, loadgen) and booting under TCG
STEP_LIMIT = 120  # s: one command in the guest
EXIT_LIMIT = 120  # s: from `reboot -f` to make's exit

failed = 0


def tap(ok, what, why=""):
    global failed
    if ok:
        print(f"ok - make shell: {what}")
    else:
        failed += 1
        print(f"not ok - make shell: {what}: {why}")
    sys.stdout.flush()


class Terminal:
    """The master side of the pseudo-terminal, and everything the guest printed on it."""

    def __init__(self, fd):
        self.fd = fd
        self.seen = b""

    def expect(self, pattern, limit):
        """Reads until `pattern` (bytes regex) matches what came after the last match."""
        deadline = time.monotonic() + limit
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.seen)
            if m:
                self.seen = self.seen[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: every slave fd is closed
                    chunk = b""
                if not chunk:
                    return None
                self.seen += chunk

    def type(self, keys, pause=0.05):
        """Types `keys` one at a time, as fingers do (a serial console takes them in order)."""
        for k in keys:
            os.write(self.fd, k.encode() if isinstance(k, str) else k)
            time.sleep(pause)

    def tail(self):
        return self.seen[-300:].decode(errors="replace").replace("\r", "").replace("\n", "\\n")


def main():
    project = sys.argv[1]
    master, slave = os.openpty()
    # A login terminal's modes: cooked, with echo and signals.
    attrs = termios.tcgetattr(slave)
    attrs[3] |= termios.ICANON | termios.ECHO | termios.ISIG
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    before = termios.tcgetattr(slave)

    def child_setup():
        os.setsid()
        import fcntl

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        ["make", "-s", "-C", project, "shell"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=child_setup,
        close_fds=True,
    )
    term = Terminal(master)
    try:
        run(term, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    after = termios.tcgetattr(slave)
    tap(after == before, "the terminal's modes are restored when it ends",
        f"before {before[:4]}, after {after[:4]}")
    os.close(slave)
    os.close(master)
    return 1 if failed else 0


def run(term, proc):
    prompt = rb"# $|# \x1b|\$ $"
    if not term.expect(rb"'reboot -f' ends the VM", BOOT_LIMIT) or not term.expect(prompt, STEP_LIMIT):
        tap(False, "the guest boots to its shell prompt on this terminal", term.tail())
        return
    tap(True, "the guest boots to its shell prompt on this terminal")

    # Kernel messages (the module's KUnit suites print at insmod) stay off the console.
    term.type("dmesg -n 1; insmod /lib/modules/loadavg_rs.ko && cat /proc/loadavg_cpu; echo MARK$((40+2))\r")
    m = term.expect(rb"\n(\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ -?\d+)\r*\n(?s:.*?)MARK42", STEP_LIMIT)
    tap(m is not None, "a typed command runs in the guest: the module loads and /proc/loadavg_cpu reads "
        + (f"'{m.group(1).decode()}'" if m else ""), term.tail())
    if m is None:
        return

    # `echo ABX`, backspace, `C`, left arrow, `Z`: the guest's line editor makes `echo ABZC`.
    term.type(["echo AB", "X", b"\x7f", "C", b"\x1b[D", "Z", "\r"])
    m = term.expect(rb"\n(AB\w*)\r*\n", STEP_LIMIT)
    got = m.group(1).decode() if m else None
    tap(got == "ABZC", f"the guest's line editing works (backspace, left arrow: '{got}')", term.tail())

    term.type("sleep 600\r")
    time.sleep(3)
    term.type([b"\x03"])
    term.type("echo STATUS$?\r")
    m = term.expect(rb"STATUS(\d+)", STEP_LIMIT)
    got = m.group(1).decode() if m else None
    tap(got == "130" and proc.poll() is None,
        f"Ctrl-C reaches the guest's foreground job, not QEMU (sleep ended with status {got})",
        term.tail())

    term.type("reboot -f\r")
    try:
        status = proc.wait(EXIT_LIMIT)
    except subprocess.TimeoutExpired:
        status = None
    tap(status == 0, f"'reboot -f' ends it with status 0 (status {status})", term.tail())


if __name__ == "__main__":
    sys.exit(main())
