"""The web chat end to end in headless Chromium (system package, driven by Playwright), over the real assistant."""
from dataclasses import replace
from types import SimpleNamespace

import pytest

from api.app import create_app, get_assistant
from api.server import serve_in_thread
from assistant.answer import compose

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.model]

XSS = "<img src=x onerror=window.__xss=1>"


@pytest.fixture(scope="module")
def server(settings, assistant):
    """The app over the real assistant, served by uvicorn on a free loopback port."""
    app = create_app(settings, assistant=assistant)
    with serve_in_thread(app) as url:
        yield SimpleNamespace(app=app, url=url)


@pytest.fixture(scope="module")
def browser():
    from api.screenshot import chromium_path, launch_chromium

    with sync_api.sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except sync_api.Error as error:
            pytest.skip(f"no usable Chromium at {chromium_path()}: {error}")
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request, tmp_path):
    """A fresh page on the chat; on failure its screenshot is saved as tmp_path/failure.png."""
    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url + "/")
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        path = tmp_path / "failure.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failed page: {path}")
    context.close()


def send(page, question: str):
    """Type the question, press Enter, and return the new turn once its answer (or error) is shown."""
    before = page.locator(".turn").count()
    box = page.get_by_label("Задайте вопрос").or_(page.get_by_label("Сұрағыңызды қойыңыз"))
    box.fill(question)
    box.press("Enter")
    turn = page.locator(".turn").nth(before)
    turn.locator(".answer, .message--error").wait_for()
    return turn


def text(locator) -> str:
    return " ".join(locator.text_content().split())


def test_conversation_follows_the_language_and_shows_parallel_text(page):
    label = page.locator("label[for=question]")
    assert text(label) == "Задайте вопрос"

    first = send(page, "Кто возглавляет прокуратуру района?")
    answer = first.locator(".answer")
    assert answer.get_attribute("lang") == "ru"
    assert "answer--abstained" not in answer.get_attribute("class")
    assert text(answer.locator(".hit--top .citation")) == "пункт 10 Положения"
    assert "Ответ" == text(answer.locator(".answer-heading"))

    second = send(page, "Ал оны кім тағайындайды?")
    answer = second.locator(".answer")
    assert answer.get_attribute("lang") == "kk"
    assert text(answer.locator(".hit--top .citation")) == "Ереженің 10-тармағы"
    # The interface follows the language of the latest answer.
    assert text(label) == "Сұрағыңызды қойыңыз"
    assert page.locator("html").get_attribute("lang") == "kk"
    assert text(page.locator("#send")) == "Сұрау"
    # Earlier answers keep their own language.
    assert first.locator(".answer").get_attribute("lang") == "ru"

    toggle = answer.locator(".hit--top .parallel-toggle")
    assert text(toggle) == "Қатар мәтін"
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    columns = answer.locator(".hit--top .parallel-column")
    columns.nth(1).wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    kk, ru = columns.nth(0), columns.nth(1)
    assert (kk.get_attribute("lang"), ru.get_attribute("lang")) == ("kk", "ru")
    assert text(kk.locator(".citation")) == "Ереженің 10-тармағы"
    assert text(ru.locator(".citation")) == "пункт 10 Положения"
    assert len(text(kk.locator(".quote-text"))) > 40 and len(text(ru.locator(".quote-text"))) > 40
    kk_box, ru_box = kk.bounding_box(), ru.bounding_box()
    assert abs(kk_box["y"] - ru_box["y"]) < 2 and kk_box["x"] + kk_box["width"] <= ru_box["x"]  # side by side

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not columns.nth(0).is_visible()


def test_markup_in_a_question_is_shown_as_text(page):
    turn = send(page, XSS)
    assert turn.locator(".question-text").text_content() == XSS
    assert page.locator("#log img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_markup_in_an_answered_question_is_shown_as_text(page):
    question = f"Кто возглавляет прокуратуру района? {XSS}"
    turn = send(page, question)
    assert turn.locator(".question-text").text_content() == question
    assert page.locator("#log img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_api_errors_are_shown_in_both_languages(page):
    turn = send(page, "12345 ?!")
    error = turn.locator(".message--error")
    assert error.get_attribute("role") == "alert"
    assert error.locator("[lang=ru]").text_content() == "В вопросе нет слов."
    assert error.locator("[lang=kk]").text_content() == "Сұрақта сөз жоқ."


class Abstaining:
    """The real assistant made to abstain, so the page's "the act does not say" is tested apart from calibration."""

    def __init__(self, real):
        self.real = real

    def ask(self, question, **kwargs):
        answer = self.real.ask(question, **kwargs)
        return replace(answer, verdict="not_in_act", answer=compose(answer.lang, answer.hits, "not_in_act"), confidence=0.1)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_abstention_looks_different(server, page, assistant):
    server.app.dependency_overrides[get_assistant] = lambda: Abstaining(assistant)
    try:
        turn = send(page, "Какая погода будет завтра в Алматы?")
    finally:
        server.app.dependency_overrides.clear()
    answer = turn.locator(".answer")
    assert "answer--abstained" in answer.get_attribute("class")
    assert text(answer.locator(".answer-heading")) == "В акте ответа нет"
    assert text(answer.locator(".answer-text")).startswith("В приказе № 127")
    assert turn.locator(".hit--top").count() == 0 and turn.locator(".hits li").count() > 0
    background = answer.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")

    normal = send(page, "Кто возглавляет прокуратуру района?").locator(".answer")
    assert normal.evaluate("node => getComputedStyle(node).backgroundColor") != background


def test_shift_enter_adds_a_line_and_enter_sends(page):
    box = page.get_by_label("Задайте вопрос")
    box.type("Кто возглавляет")
    box.press("Shift+Enter")
    box.type("прокуратуру района?")
    assert box.input_value() == "Кто возглавляет\nпрокуратуру района?"
    assert page.locator(".turn").count() == 0
    box.press("Enter")
    page.locator(".turn .answer").wait_for()
    assert box.input_value() == ""


def test_new_conversation_forgets_the_session(page):
    send(page, "Кто возглавляет прокуратуру района?")
    page.locator("#new-conversation").click()
    assert page.locator(".turn").count() == 0
    turn = send(page, "А кто его назначает?")
    assert turn.locator(".followup-note").count() == 0


def test_readable_on_a_375px_phone(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="kk-KZ")
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        assert page.locator("label[for=question]").text_content() == "Сұрағыңызды қойыңыз"  # follows the browser locale
        turn = send(page, "Аудан прокуратурасын кім басқарады?")
        turn.locator(".hit--top .parallel-toggle").click()
        turn.locator(".hit--top .parallel-column").nth(1).wait_for()
        no_sideways_scroll = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        assert page.evaluate(no_sideways_scroll)
        columns = turn.locator(".hit--top .parallel-column")
        assert columns.nth(0).bounding_box()["y"] < columns.nth(1).bounding_box()["y"]  # stacked, not squeezed
        assert page.locator("#send").bounding_box()["width"] <= 375
    finally:
        context.close()
