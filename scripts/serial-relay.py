#!/usr/bin/env python3
"""COM1 of an emulator on a pseudo-terminal: what it prints goes to a log
(and to the screen with --interactive), and what is typed reaches it.

  serial-relay.py --bochsrc FILE --log FILE [--interactive]
                  [--type REGEX TEXT]... -- COMMAND...

Adds "com1: mode=term" on a new pseudo-terminal to the Bochs configuration
FILE, runs COMMAND (Bochs with that configuration), and until it ends:
copies COM1's output to the log; with --interactive, shows it and sends
the keys typed here (Ctrl-] stops the emulator); each --type sends TEXT
(with \\n for Enter) once the output so far matches REGEX, in order.
COMMAND's own output goes to stderr. Exits with COMMAND's status.
"""
import argparse
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import tty

QUIT_KEY = b"\x1d"  # Ctrl-]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bochsrc", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--interactive", action="store_true")
    ap.add_argument("--type", nargs=2, action="append", default=[], metavar=("REGEX", "TEXT"))
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command")

    master, slave = pty.openpty()
    # Raw: the bytes typed and printed pass unchanged (no echo, no CR/LF mapping).
    tty.setraw(slave)
    with open(args.bochsrc, "a") as rc:
        rc.write(f"com1: enabled=1, mode=term, dev={os.ttyname(slave)}\n")
    # The emulator's own messages go to stderr, away from the console's.
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno())
    scripted = [(re.compile(r.encode()), t.encode().decode("unicode_escape").encode())
                for r, t in args.type]
    seen = b""
    keyboard = sys.stdin.fileno() if args.interactive and sys.stdin.isatty() else None
    saved = None
    if keyboard is not None:
        saved = termios.tcgetattr(keyboard)
        tty.setraw(keyboard)
    try:
        with open(args.log, "wb", buffering=0) as log:
            while True:
                fds = [master] + ([keyboard] if keyboard is not None else [])
                ready, _, _ = select.select(fds, [], [], 0.2)
                if master in ready:
                    try:
                        data = os.read(master, 4096)
                    except OSError:
                        data = b""
                    log.write(data)
                    if args.interactive:
                        os.write(sys.stdout.fileno(), data)
                    seen = (seen + data)[-65536:]
                    while scripted and scripted[0][0].search(seen):
                        os.write(master, scripted.pop(0)[1])
                        seen = b""  # the next pattern is looked for in what follows
                if keyboard in ready:
                    keys = os.read(keyboard, 1024)
                    if QUIT_KEY in keys:
                        child.send_signal(signal.SIGTERM)
                        keys = keys[:keys.index(QUIT_KEY)]
                    if keys:
                        os.write(master, keys)
                if child.poll() is not None and master not in ready:
                    break
    finally:
        if saved is not None:
            termios.tcsetattr(keyboard, termios.TCSADRAIN, saved)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
