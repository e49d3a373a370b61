#!/usr/bin/python3
"""Reads one offstage report mail with Python's email package (a real MIME parser, not ours)
and checks it; prints what is wrong and exits 1, or prints OK.

  check_mail.py (--file MESSAGE | --mbox MAILBOX --message-id ID) [--subject TEXT]
                [--body-contains TEXT]... [--no-header NAME]...

For an mbox (an MTA's delivery), the message is the one with that Message-ID. Expected texts
are compared as given (a "\\377" in an argument is the four characters the mail shows for a
0xff byte).
"""
import argparse
import email
import email.policy
import email.utils
import mailbox
import re
import sys


def find_in_mbox(path, message_id):
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.keys():
            raw = box.get_bytes(key)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            if parsed.get("Message-ID", "").strip() == message_id:
                return raw
    finally:
        box.close()
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file")
    parser.add_argument("--mbox")
    parser.add_argument("--message-id")
    parser.add_argument("--subject")
    parser.add_argument("--body-contains", action="append", default=[])
    parser.add_argument("--no-header", action="append", default=[])
    args = parser.parse_args()

    if args.file:
        with open(args.file, "rb") as f:
            raw = f.read()
    else:
        raw = find_in_mbox(args.mbox, args.message_id)
        if raw is None:
            print(f"no message with Message-ID {args.message_id} in {args.mbox}")
            return 1

    problems = []
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.defects:
        problems.append(f"message defects: {msg.defects}")
    for name, value in msg.items():
        if getattr(value, "defects", None):
            problems.append(f"header {name} defects: {value.defects}")

    head, _, body_raw = raw.partition(b"\n\n")
    for line in head.split(b"\n"):
        if len(line) > 78 and not line.startswith((b"Received:", b"\t")):
            problems.append(f"header line longer than 78: {line!r}")
    for line in body_raw.split(b"\n"):
        if len(line) > 76:
            problems.append(f"body line longer than 76: {line!r}")
        if line.startswith(b"From ") or line.startswith(b">From "):
            problems.append(f"body line an mbox would alter: {line!r}")
        if any(b >= 0x80 or (b < 0x20 and b != 0x09) for b in line):
            problems.append(f"body line not 7-bit: {line!r}")

    if args.message_id and msg.get("Message-ID", "").strip() != args.message_id:
        problems.append(f"Message-ID {msg.get('Message-ID')!r} != {args.message_id!r}")
    if not re.fullmatch(r"<[0-9a-f]{32}@[A-Za-z0-9.-]+>", msg.get("Message-ID", "").strip()):
        problems.append(f"Message-ID malformed: {msg.get('Message-ID')!r}")
    if args.subject is not None and str(msg["Subject"]) != args.subject:
        problems.append(f"Subject {str(msg['Subject'])!r} != {args.subject!r}")
    if msg.get("Auto-Submitted") != "auto-generated":
        problems.append(f"Auto-Submitted: {msg.get('Auto-Submitted')!r}")
    if msg.get("MIME-Version") != "1.0":
        problems.append(f"MIME-Version: {msg.get('MIME-Version')!r}")
    date = email.utils.parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    if date is None or date.tzinfo is None:
        problems.append(f"Date does not parse with a zone: {msg.get('Date')!r}")
    if msg.get_content_type() != "text/plain":
        problems.append(f"Content-Type {msg.get_content_type()}")
    if msg.get_content_charset() != "utf-8":
        problems.append(f"charset {msg.get_content_charset()!r}")
    if msg.get("Content-Transfer-Encoding") != "quoted-printable":
        problems.append(f"Content-Transfer-Encoding {msg.get('Content-Transfer-Encoding')!r}")
    for name in args.no_header:
        if name in msg:
            problems.append(f"header {name} present: {msg[name]!r}")

    body = msg.get_content()  # decoded from quoted-printable, then from UTF-8
    for line in body.split("\n"):
        bad = [c for c in line if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in
               "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
        if bad:
            problems.append(f"body line with control characters: {line!r}")
    for text in args.body_contains:
        if text not in body:
            problems.append(f"body lacks {text!r}")

    if problems:
        print("\n".join(problems))
        print("--- decoded body ---")
        print(body)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
