"""Debian's Chromium, headless, driven over the DevTools protocol on a pipe: no WebDriver, no network, no port.

With ``--remote-debugging-pipe`` Chromium reads protocol commands from file descriptor 3 and writes replies and
events to descriptor 4, each message JSON followed by a NUL byte.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--remote-debugging-pipe"]


class Chromium:
    """One browser with a fresh profile in ``profile``; ``open`` a page, ``evaluate`` in it, ``screenshot`` it."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 900):
        binary = shutil.which("chromium")
        if binary is None:
            raise AssertionError("chromium is not installed: `apt-get install chromium` (.ci/run installs it)")
        self.width, self.height = width, height
        self.events: list[dict] = []
        self._id, self._buffer = 0, b""
        child_reads, self._to_browser = os.pipe()
        self._from_browser, child_writes = os.pipe()
        self.log = profile / "chromium.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", f'exec "$0" "$@" 3<&{child_reads} 4>&{child_writes}', binary, *FLAGS,
                 f"--user-data-dir={profile / 'user-data'}", "about:blank"],
                pass_fds=(child_reads, child_writes), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(child_reads)
        os.close(child_writes)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.process.poll() is None:
                self.call("Browser.close", timeout=10)
                self.process.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)

    def _next_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise AssertionError(f"no answer from chromium in time; its log:\n{self.log.read_text()[-3000:]}")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise AssertionError(f"chromium closed the pipe; its log:\n{self.log.read_text()[-3000:]}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, timeout: float = 30, **params) -> dict:
        """Send one protocol command and return its result; events that arrive meanwhile go to ``events``."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params, **({"sessionId": session} if session else {})}
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data):]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, url: str, timeout: float = 60) -> str:
        """Open ``url`` in a new page, wait for its load event, return the page's session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session, url=url)
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session
                      for e in self.events):
            self.events.append(self._next_message(deadline))
        return session

    def evaluate(self, session: str, expression: str):
        """The JSON value of a JavaScript expression in the page (promises are awaited)."""
        result = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str, timeout: float = 30):
        """Evaluate ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(session, expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"{expression!r} stayed falsy for {timeout} s")

    def screenshot(self, session: str, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", session, format="png")["data"]))
        return path

    def script_errors(self) -> list[str]:
        """Uncaught exceptions, console.error calls and error log entries of every page so far."""
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description") or details.get("text"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                errors.append(" ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(f"{params['entry']['source']}: {params['entry']['text']}")
        return errors
