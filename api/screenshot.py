"""`python -m api.screenshot OUT.png`: the web chat after two questions, as a 1000x800 PNG (`--width 375` for a phone).

Starts the app on a free loopback port and drives the system Chromium headless through Playwright
(no browser download: Debian's `chromium` package); the last answer shows a point's subpoints as a
list with the question's words marked. `--parallel` also opens its parallel text.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """$ZANGER_CHROMIUM, else `chromium` on PATH, else Debian's /usr/bin/chromium."""
    return os.environ.get("ZANGER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def launch_chromium(playwright):
    """A headless system Chromium that never reaches out to the network on its own."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def ask_in_page(page, question: str) -> None:
    """Type a question, send it with Enter and wait until its answer (or error) is shown."""
    before = page.locator(".turn").count()
    page.get_by_role("textbox").fill(question)
    page.get_by_role("textbox").press("Enter")
    page.locator(".turn").nth(before).locator(".answer, .message--error").wait_for(timeout=60_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the PNG (e.g. docs/chat.png)")
    parser.add_argument("--question", default="Кто возглавляет прокуратуру района?")
    parser.add_argument("--followup", default="Прокуратура района вправе")
    parser.add_argument("--width", type=int, default=1000, help="viewport width in CSS pixels")
    parser.add_argument("--height", type=int, default=800, help="viewport height in CSS pixels")
    parser.add_argument("--parallel", action="store_true", help="open the parallel text of the last answer")
    parser.add_argument("--index-dir", help="index directory (default: $ZANGER_INDEX_DIR or index/ of the checkout)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from assistant.settings import Settings

    from .app import create_app
    from .server import serve_in_thread

    settings = Settings.from_env(index_dir=args.index_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(create_app(settings)) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, locale="ru-RU")
            page.goto(url)
            ask_in_page(page, args.question)
            ask_in_page(page, args.followup)
            last = page.locator(".turn").last
            toggle = last.locator(".hit--top .parallel-toggle")
            if args.parallel and toggle.count():
                toggle.click()
                last.locator(".hit--top .parallel-column").first.wait_for()
            # Show the follow-up from its question down, as a reader would scroll to it.
            last.evaluate("node => node.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(args.out))
        finally:
            browser.close()
    print(f"screenshot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
