#!/usr/bin/env python3
"""Runs a command (the stock age) on a pseudo-terminal and answers each passphrase prompt
with $PASSPHRASE: age 1.1.1 reads passphrases only from a terminal. Exits with the command's
status; what the command wrote to the terminal goes to stderr."""
import os
import pty
import sys

passphrase = os.environ["PASSPHRASE"].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
seen = b""
answered = 0
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the child closed the terminal
        break
    if not data:
        break
    seen += data
    while answered < seen.lower().count(b"passphrase"):
        os.write(fd, passphrase + b"\n")
        answered += 1
_, status = os.waitpid(pid, 0)
sys.stderr.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
