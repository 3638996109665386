"""A headless Chromium driven over the DevTools protocol (for the report's browser tests).

Chromium is Debian's package (installed by the tests when missing and possible); the
WebSocket client is tornado's, which jtopics already depends on through Dask.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1800"]


@functools.cache
def chromium() -> str | None:
    """Debian's chromium, installed here when missing (root with apt), else None; tried once
    per test session."""
    found = shutil.which("chromium")
    if found or os.environ.get("JTOPICS_NO_APT") or not hasattr(os, "geteuid"):
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300,
                       capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                       timeout=600, capture_output=True)
    except (subprocess.SubprocessError, OSError):
        return None
    return shutil.which("chromium")


class Browser:
    """One headless Chromium with one page; ``evaluate`` runs JavaScript in it, ``click``
    presses the mouse on an element as a person would."""

    def __init__(self, executable: str) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="jtopics-chromium-"))
        self.process = subprocess.Popen(
            [executable, *FLAGS, "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            page = next(t for t in json.load(reply) if t["type"] == "page")
        from tornado.websocket import websocket_connect

        async def connect():
            return await websocket_connect(page["webSocketDebuggerUrl"],
                                           max_message_size=256 << 20)

        self.loop = asyncio.new_event_loop()
        self.socket = self.loop.run_until_complete(connect())
        self.next_id = 0

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        wanted = self.next_id
        message = json.dumps({"id": wanted, "method": method, "params": params})

        async def exchange():
            await self.socket.write_message(message)
            while True:
                reply = json.loads(await self.socket.read_message())
                if reply.get("id") == wanted:
                    return reply

        reply = self.loop.run_until_complete(exchange())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, ready: str, timeout: float = 30.0) -> float:
        """Load ``url``; seconds until the JavaScript ``ready`` is true."""
        started = time.monotonic()
        self.send("Page.navigate", url=url)
        while True:
            try:
                if self.evaluate(f"Boolean({ready})"):
                    return time.monotonic() - started
            except RuntimeError:
                pass  # the page is still loading (no body yet, or a new context)
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{url}: {ready} never true")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A mouse press and release on the first element ``selector`` finds (on its first
        line)."""
        box = self.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: "center"}});
            // the first line box: a link wrapped over two lines has a gap in its bounding box
            const r = e.getClientRects()[0];
            return [r.x + Math.min(r.width / 2, 20), r.y + r.height / 2]; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def type_text(self, selector: str, text: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        if getattr(self, "loop", None) is not None:
            self.socket.close()
            self.loop.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
