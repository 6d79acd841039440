#!/usr/bin/env python3
"""Holds TCP ports FIRST..LAST listening for SECONDS, as other programs could.

    hold-ports.py FIRST LAST SECONDS READY_FILE

READY_FILE is created once every port it could take is held (its content:
how many). The system tests use it to start a Bochs while all of its RFB
display's ports are taken (docs/bochs.md: run-bochs.sh starts it again).
"""
import socket
import sys
import time

first, last, seconds, ready = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
held = []
for port in range(first, last + 1):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", port))
        s.listen(1)
        held.append(s)
    except OSError:
        s.close()  # another program has it: taken all the same
with open(ready, "w") as f:
    f.write(f"{len(held)}\n")
time.sleep(seconds)
