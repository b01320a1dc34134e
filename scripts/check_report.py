#!/usr/bin/env python3
"""Opens a rackmatch report.html in headless Chromium and checks it as a reader would see it.

The page must load with no console errors, every <img> must decode (naturalWidth > 0),
every <audio> must have a duration > 0, and every linked file must exist. Chromium is
driven over the DevTools protocol on a pipe (--remote-debugging-pipe), so nothing but
Debian's chromium package and the Python standard library is needed.

Usage: check_report.py REPORT.html [--expect-images N] [--expect-audio N]
Exit status 0 when the page passes, 1 with the problems on stderr otherwise.
"""

import argparse
import fcntl
import json
import os
import pathlib
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

TIMEOUT_S = 60.0
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--remote-debugging-pipe",
]

# Runs in the page: waits for every audio element's metadata and every image's
# decoding, then reports what the reader would get.
INSPECT = """
(async () => {
  const audios = [...document.querySelectorAll('audio')];
  await Promise.all(audios.map(a => new Promise(done => {
    if (a.readyState >= 1 || a.error) { done(); return; }
    a.addEventListener('loadedmetadata', done, {once: true});
    a.addEventListener('error', done, {once: true});
    setTimeout(done, 20000);
  })));
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  return JSON.stringify({
    title: document.title,
    images: [...document.images].map(i => ({src: i.getAttribute('src'), width: i.naturalWidth})),
    audios: audios.map(a => ({src: a.getAttribute('src'), duration: a.duration,
                              error: a.error ? a.error.code : null})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  });
})()
"""


def _high(fd):
    """`fd` moved to a number of at least 10, close-on-exec."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """A headless Chromium spoken to over the DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, executable, profile):
        # Pipe ends are moved above fd 10 so that placing them on 3 and 4 in
        # the child never overwrites one with the other; all are close-on-exec
        # except the two copies the child makes.
        to_browser_r, self._to_browser = (_high(fd) for fd in os.pipe())
        self._from_browser, from_browser_w = (_high(fd) for fd in os.pipe())

        def wire():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self._process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        """Sends a command and returns its result (events seen meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, deadline):
        """Waits for an event named `method`."""
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self, deadline=None):
        deadline = deadline or time.monotonic() + TIMEOUT_S
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it start?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def console_errors(events):
    """Console errors, uncaught exceptions and failed loads, in words."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            errors.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return errors


def inspect(page, executable):
    """Loads `page` and returns (what the page holds, console errors)."""
    with tempfile.TemporaryDirectory(prefix="rackmatch-chromium-") as profile:
        browser = Browser(executable, profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
            browser.wait_for("Page.loadEventFired", time.monotonic() + TIMEOUT_S)
            result = browser.send(
                "Runtime.evaluate",
                {"expression": INSPECT, "awaitPromise": True, "returnByValue": True},
                session=session,
            )
            if "exceptionDetails" in result:
                raise RuntimeError(f"inspecting the page failed: {result['exceptionDetails']}")
            found = json.loads(result["result"]["value"])
            return found, console_errors(browser.events)
        finally:
            browser.close()


def problems_of(page, found, errors, expect_images, expect_audio):
    problems = list(errors)
    for image in found["images"]:
        if image["width"] <= 0:
            problems.append(f"image does not decode: {image['src']}")
    for audio in found["audios"]:
        duration = audio["duration"]
        if audio["error"] is not None or not isinstance(duration, (int, float)) or not duration > 0:
            problems.append(f"audio has no duration: {audio['src']} (error {audio['error']})")
    for link in found["links"]:
        parsed = urllib.parse.urlparse(link)
        if parsed.scheme or parsed.netloc:
            problems.append(f"link leaves the report: {link}")
        elif not (page.parent / urllib.parse.unquote(parsed.path)).is_file():
            problems.append(f"linked file missing: {link}")
    if expect_images is not None and len(found["images"]) != expect_images:
        problems.append(f"{len(found['images'])} images, expected {expect_images}")
    if expect_audio is not None and len(found["audios"]) != expect_audio:
        problems.append(f"{len(found['audios'])} audio elements, expected {expect_audio}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=pathlib.Path)
    parser.add_argument("--expect-images", type=int)
    parser.add_argument("--expect-audio", type=int)
    args = parser.parse_args()
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        print("check_report: no chromium found (scripts/setup installs it)", file=sys.stderr)
        return 1
    page = args.report.resolve()
    if not page.is_file():
        print(f"check_report: {args.report}: no such file", file=sys.stderr)
        return 1
    found, errors = inspect(page, executable)
    problems = problems_of(page, found, errors, args.expect_images, args.expect_audio)
    for problem in problems:
        print(f"check_report: {args.report}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.report}: loads cleanly; {len(found['images'])} images decode, "
              f"{len(found['audios'])} audio elements have durations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
