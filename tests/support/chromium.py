"""Headless Chromium driven over the DevTools protocol (``--remote-debugging-pipe``, no extra package).

One browser per :class:`Browser` (a fresh ``--user-data-dir`` each time); :meth:`Browser.open`
loads a page in a new tab with a virtual-time budget (as ``--virtual-time-budget``), after which
the tab gives its DOM (as ``--dump-dom``), a screenshot and a PDF.

Requests are recorded from the DevTools ``Network`` events of the page's own tab (and of any frame
or worker it starts): what the page asks for, with the page as the document. Chromium's own
background traffic (component updater, sign-in, variations...) is made by the browser process, not
by the page, so it is never counted, whichever hosts it calls.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--disable-dev-shm-usage", "--disable-features=NetworkTimeServiceQuerying",
)
TIMEOUT = 120.0


class DevToolsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Request:
    url: str
    resource_type: str
    document_url: str
    initiator: str

    def __str__(self) -> str:
        return f"{self.resource_type} {self.url} (initiator {self.initiator}, document {self.document_url})"


class Browser:
    """``with Browser(tmp, proxy_port=...) as b: page = b.open(path)``."""

    def __init__(self, tmp: Path, *, proxy_port: int | None = None, window: tuple[int, int] = (1280, 1800)) -> None:
        self.tmp, self.proxy_port, self.window = tmp, proxy_port, window
        self._id = 0
        self._buf = b""
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._children: dict[str, str] = {}  # child session -> the page session that started it

    # ------------------------------------------------------------ process

    def __enter__(self) -> Browser:
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=self.tmp))
        self.log = self.tmp / f"{self.profile.name}.log"
        args = [str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                f"--window-size={self.window[0]},{self.window[1]}"]
        if self.proxy_port is not None:
            args += [f"--proxy-server=http://127.0.0.1:{self.proxy_port}", "--proxy-bypass-list=<-loopback>"]
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def pipes_on_3_and_4() -> None:  # the protocol: commands on fd 3, replies and events on fd 4
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([*args, "about:blank"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         close_fds=False, preexec_fn=pipes_on_3_and_4)
        os.close(to_browser_r)
        os.close(from_browser_w)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.proc.poll() is None:
                self.send("Browser.close")
                self.proc.wait(timeout=20)
        except (OSError, DevToolsError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self._to_browser)
            os.close(self._from_browser)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.is_file() else ""

    # ------------------------------------------------------------ protocol

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        return self._id

    def _read(self, deadline: float) -> None:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise DevToolsError(f"chromium did not answer in time; its log:\n{self.stderr()}")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise DevToolsError(f"chromium closed the DevTools pipe (exit {self.proc.poll()}):\n{self.stderr()}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        msg = json.loads(raw)
        if "id" in msg:
            self._replies[msg["id"]] = msg
            return
        self.events.append(msg)
        if msg.get("method") == "Target.attachedToTarget":
            # A frame or worker the page started (auto-attached, paused): record its requests too.
            parent, child = msg.get("sessionId"), msg["params"]["sessionId"]
            self._children[child] = self._children.get(parent or "", parent or "")
            self.send("Network.enable", session=child)
            self.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True},
                      session=child)
            self.send("Runtime.runIfWaitingForDebugger", session=child)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        cid = self.send(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        while cid not in self._replies:
            self._read(deadline)
        reply = self._replies.pop(cid)
        if "error" in reply:
            raise DevToolsError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    def wait_for(self, method: str, session: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (TIMEOUT if timeout is None else timeout)
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self._read(deadline)

    # ------------------------------------------------------------ pages

    def open(self, page: Path, *, virtual_time_budget: int = 3000) -> Tab:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._children[session] = session
        for method in ("Network.enable", "Page.enable", "Runtime.enable"):
            self.call(method, session=session)
        self.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True},
                  session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": self.window[0], "height": self.window[1],
                                                         "deviceScaleFactor": 1, "mobile": False}, session=session)
        url = page.resolve().as_uri()
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        # Then, as --virtual-time-budget: timers and late loads get this much (virtual) time.
        self.call("Emulation.setVirtualTimePolicy", {"policy": "pauseIfNetworkFetchesPending",
                                                     "budget": virtual_time_budget}, session=session)
        self.wait_for("Emulation.virtualTimeBudgetExpired", session)
        self.call("Emulation.setVirtualTimePolicy", {"policy": "advance"}, session=session)
        return Tab(self, session, url)


class Tab:
    def __init__(self, browser: Browser, session: str, url: str) -> None:
        self.browser, self.session, self.url = browser, session, url

    def dom(self) -> str:
        """The serialised DOM, as ``--dump-dom`` prints it."""
        result = self.browser.call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                                        "returnByValue": True}, session=self.session)
        return str(result["result"]["value"])

    def screenshot(self) -> bytes:
        data = self.browser.call("Page.captureScreenshot", {"format": "png"}, session=self.session)["data"]
        return base64.b64decode(data)

    def pdf(self) -> bytes:
        """The page printed as ``--print-to-pdf`` prints it: no header or footer, the page's own
        ``@page`` size and margins."""
        data = self.browser.call("Page.printToPDF", {"displayHeaderFooter": False, "preferCSSPageSize": True},
                                 session=self.session)["data"]
        return base64.b64decode(data)

    def requests(self) -> list[Request]:
        """Every request the page (its frames, its workers) made, except loading the page itself."""
        out = []
        for event in self.browser.events:
            if event.get("method") != "Network.requestWillBeSent":
                continue
            if self.browser._children.get(event.get("sessionId") or "") != self.session:
                continue
            p = event["params"]
            req = Request(p["request"]["url"], p.get("type", ""), p.get("documentURL", ""),
                          p.get("initiator", {}).get("type", ""))
            if req.url == self.url and req.resource_type == "Document" and req.initiator == "other":
                continue  # the navigation to the page under test
            out.append(req)
        return out
