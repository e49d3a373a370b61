#!/usr/bin/python3
"""Opens the status page in Debian's headless Chromium and reports what a person would see,
through the DevTools protocol over --remote-debugging-pipe (no network port, no extra Python
module): every request the page made, every console message and exception (a Content-Security
-Policy violation is one), facts read from the DOM, and a full-page screenshot.

Usage: check_page_in_chromium.py PAGE.html SCREENSHOT.png
Prints one JSON object; exits 2 when the browser could not be driven. Chromium is killed on
every way out."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
DEADLINE = 60  # seconds for the whole session

DOM_FACTS = r"""
JSON.stringify((() => {
  const plot = id => {
    const e = document.getElementById(id);
    if (!e) return null;
    const box = e.getBoundingClientRect();
    return { marks: e.querySelectorAll('polyline, rect, circle').length,
             charts: e.tagName === 'svg' ? 1 : e.querySelectorAll('svg').length,
             width: box.width, height: box.height };
  };
  const failed = document.querySelector('#plot-outcomes rect.failed');
  const newest = document.getElementById('newest-run');
  const pull = document.getElementById('pull-state');
  return {
    title: document.title,
    newest_status: newest ? (newest.dataset.status || null) : null,
    newest_text: newest ? newest.textContent : null,
    pull_overdue: pull ? pull.dataset.overdue : null,
    plots: { outcomes: plot('plot-outcomes'), sizes: plot('plot-sizes'),
             durations: plot('plot-durations'), annoying: plot('plot-annoying') },
    failed_mark_fill: failed ? getComputedStyle(failed).fill : null,
    heading_font_size: getComputedStyle(document.querySelector('h1')).fontSize,
    scripts: document.scripts.length,
    run_rows: document.querySelectorAll('#runs tbody tr').length,
  };
})())
"""


class Browser:
    def __init__(self, profile):
        command_read, self.command_write = os.pipe()
        self.event_read, event_write = os.pipe()
        # Above any descriptor the child may have, then moved to 3 and 4 in the child.
        high_read = os.dup2(command_read, 100, inheritable=True)
        high_write = os.dup2(event_write, 101, inheritable=True)
        os.close(command_read)
        os.close(event_write)

        def descriptors():
            os.dup2(100, 3)
            os.dup2(101, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--disable-default-apps",
             "--hide-scrollbars", "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=descriptors, pass_fds=(3, 4), close_fds=True)
        os.close(high_read)
        os.close(high_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + DEADLINE

    def close(self):
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.wait()

    def _read_message(self):
        while b"\0" not in self.buffer:
            if time.monotonic() > self.deadline:
                raise TimeoutError("chromium did not answer within %d s" % DEADLINE)
            chunk = os.read(self.event_read, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe: " +
                                   self.process.stderr.read().decode(errors="replace")[-2000:])
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        request = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self.command_write, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read_message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method, session, seconds):
        end = time.monotonic() + seconds
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return
        while time.monotonic() < end:
            message = self._read_message()
            self.events.append(message)
            if message.get("method") == method and message.get("sessionId") == session:
                return
        raise TimeoutError(f"no {method} within {seconds} s")


def main(page, screenshot):
    profile = tempfile.mkdtemp(prefix="offstage-chromium-")
    browser = None
    try:
        browser = Browser(profile)
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(domain + ".enable", session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        url = "file://" + os.path.abspath(page)
        browser.call("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", session, 30)
        # Late console messages (a CSP report comes with the parse) and requests: a moment more.
        time.sleep(0.5)
        browser.call("Runtime.evaluate", {"expression": "1"}, session=session)
        facts = json.loads(browser.call("Runtime.evaluate",
                                        {"expression": DOM_FACTS, "returnByValue": True},
                                        session=session)["result"]["value"])
        shot = browser.call("Page.captureScreenshot",
                            {"format": "png", "captureBeyondViewport": True}, session=session)
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(shot["data"]))

        requests, console = [], []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled":
                console.append(params["type"] + ": " +
                               " ".join(str(a.get("value", a.get("description", "")))
                                        for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                console.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded":
                entry = params["entry"]
                console.append(entry["level"] + ": " + entry.get("source", "") + ": " +
                               entry.get("text", ""))
        print(json.dumps({"url": url, "requests": requests, "console": console,
                          "dom": facts}))
        return 0
    except Exception as error:  # anything: say it, the test fails with it
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 2
    finally:
        if browser:
            browser.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
