"""The web chat end to end in headless Chromium (system package, driven by Playwright), over the real assistant."""
import json
import re
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


def marks(locator) -> list[str]:
    return [" ".join(m.split()) for m in locator.locator("mark").all_text_contents()]


def test_answers_follow_the_question_and_the_interface_the_user(page):
    label = page.locator("label[for=question]")
    assert text(label) == "Задайте вопрос"

    first = send(page, "Кто возглавляет прокуратуру района?")
    answer = first.locator(".answer")
    assert answer.get_attribute("lang") == "ru"
    assert "answer--abstained" not in answer.get_attribute("class")
    assert text(answer.locator(".hit--top .citation")) == "пункт 10 Положения"
    assert "Ответ" == text(answer.locator(".answer-heading"))
    assert re.fullmatch(r"Уверенность: \d{1,3}%", text(answer.locator(".confidence")))

    second = send(page, "Ал оны кім тағайындайды?")
    answer = second.locator(".answer")
    assert answer.get_attribute("lang") == "kk"
    assert text(answer.locator(".hit--top .citation")) == "Ереженің 10-тармағы"
    assert text(answer.locator(".answer-heading")) == "Жауап"
    assert re.fullmatch(r"Сенімділік: \d{1,3}%", text(answer.locator(".confidence")))
    # A Kazakh answer does not switch the interface...
    assert text(label) == "Задайте вопрос" and page.locator("html").get_attribute("lang") == "ru"
    # ...the user does, and earlier bubbles keep the labels they were drawn with.
    page.locator("[data-ui-lang=kk]").click()
    assert text(label) == "Сұрағыңызды қойыңыз" and text(page.locator("#send")) == "Сұрау"
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("[data-ui-lang=kk]").get_attribute("aria-pressed") == "true"
    assert [text(who) for who in page.locator(".question .who").all()] == ["Вы", "Вы"]
    assert text(first.locator(".answer-heading")) == "Ответ"
    third = send(page, "Кто возглавляет прокуратуру района?")
    assert text(third.locator(".who")) == "Сіз"  # drawn in the interface language of its time
    assert third.locator(".answer").get_attribute("lang") == "ru"  # answered in the question's language

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


def test_interface_language_and_conversation_survive_a_reload(page):
    page.locator("[data-ui-lang=kk]").click()
    first = send(page, "Кто возглавляет прокуратуру района?")
    shown = text(first.locator(".answer"))
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('zanger.chat')).sessionId")
    assert isinstance(stored, str) and stored

    page.reload()
    assert text(page.locator("label[for=question]")) == "Сұрағыңызды қойыңыз"  # the user's choice is kept
    turns = page.locator(".turn")
    assert turns.count() == 1
    assert text(turns.nth(0).locator(".question-text")) == "Кто возглавляет прокуратуру района?"
    assert text(turns.nth(0).locator(".who")) == "Сіз"
    assert text(turns.nth(0).locator(".answer")) == shown
    assert turns.nth(0).locator(".answer mark").count() > 0

    # The next question continues the same conversation: the stored session id goes back as is.
    with page.expect_request("**/ask") as request:
        follow = send(page, "А кто его назначает?")
    assert json.loads(request.value.post_data)["session_id"] == stored
    assert follow.locator(".followup-note").count() == 1
    assert text(follow.locator(".hit--top .citation")) == "пункт 10 Положения"


def test_subpoints_are_a_list_and_the_question_words_are_marked(page):
    # The list of rights (point 8, list 1) reads as a list, one item per subpoint, not one paragraph.
    page.goto(page.url.split("#")[0] + "#regulation.p8.l1")
    column = page.locator("#act-viewer .parallel-column[lang=ru]")
    column.wait_for()
    items = column.locator(".quote-text .subpoints > li")
    assert items.count() == 11
    assert text(items.nth(0)).startswith("1) осуществлять действия")
    assert text(items.nth(10)).startswith("11) осуществлять иные права")
    first_box, second_box = items.nth(0).bounding_box(), items.nth(1).bounding_box()
    assert second_box["y"] >= first_box["y"] + first_box["height"] - 1  # one below the other
    page.locator("#act-close").click()

    top = send(page, "Кто возглавляет прокуратуру района?").locator(".hit--top")
    assert {"Прокуратуру", "района", "возглавляет"} <= set(marks(top.locator(".quote-text")))

    # Kazakh typed without Kazakh letters marks the Kazakh spelling.
    folded = send(page, "кужаттарга ким кол кояды").locator(".hit--top")
    assert folded.get_attribute("data-clause-id") == "regulation.p15"
    assert marks(folded) == ["құжаттарға", "қол", "қояды"]
    # Words the source spells with a Latin "i" are marked like their Cyrillic spelling.
    latin = send(page, "Аудан прокуроры міндетті өкімдер шығара ма?").locator(".hit--top")
    assert latin.get_attribute("data-clause-id") == "regulation.p13.s2"
    # ... and "шығара" is read as the act's "шығарады" (its word family), as the search read it.
    assert marks(latin) == ["мiндеттi", "өкiмдер", "шығарады"]
    assert page.locator("#log mark img, #log script").count() == 0


def test_each_clause_has_a_link_and_a_copyable_citation(browser, server):
    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="ru-RU")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        top = send(page, "Аудан прокуратурасын кім басқарады?").locator(".hit--top")
        copy = top.locator(".copy-citation")
        assert text(copy) == "Дәйексөзді көшіру"
        copy.click()
        top.locator(".copy-citation[data-state=copied]").wait_for()
        assert text(copy) == "Көшірілді"
        copied = page.evaluate("navigator.clipboard.readText()")
        lines = copied.split("\n")
        assert lines[0].startswith("Ереженің 10-тармағы — Қазақстан Республикасы Бас Прокурорының")
        assert lines[1].startswith("«Аудан прокуратурасын") and lines[1].endswith("басқарады.»")
        assert lines[2] == server.url + "/#regulation.p10"

        link = top.locator(".clause-link")
        assert link.get_attribute("href") == "#regulation.p10"
        link.click()
        assert page.evaluate("location.hash") == "#regulation.p10"
        viewer = page.locator("#act-viewer")
        viewer.locator(".parallel-column").nth(1).wait_for()
        assert viewer.get_attribute("data-clause-id") == "regulation.p10"
        assert [text(c) for c in viewer.locator(".parallel-column .citation").all()] == ["пункт 10 Положения", "Ереженің 10-тармағы"]  # interface language first

        # The link opens the clause for whoever follows it.
        other = context.new_page()
        other.goto(server.url + "/#regulation.p8.l2.s7")
        other.locator("#act-viewer .parallel-column").nth(1).wait_for()
        assert other.locator("#act-panel").is_visible()
        assert other.locator(".toc-link[aria-current=true]").get_attribute("data-clause-id") == "regulation.p8.l2.s7"
    finally:
        context.close()


def test_the_whole_act_is_browsable_in_both_languages(page):
    toggle = page.locator("#contents-button")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    panel = page.locator("#act-panel")
    links = panel.locator(".toc-link")
    links.first.wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert links.count() == 60  # every clause of the order and the regulation
    assert [text(t) for t in panel.locator(".toc-chapter").all()][0] == "Глава 1. Общие положения"
    rights = panel.locator(".toc-link[data-clause-id='regulation.p8.l1']")
    assert text(rights).startswith("Пункт 8 Положения (права)")
    assert rights.locator("xpath=..").locator(".toc-link").count() == 12  # the list and its eleven subpoints

    panel.locator("[data-contents-lang=kk]").click()
    page.locator("#act-contents[lang=kk]").wait_for()
    assert links.count() == 60
    assert [text(t) for t in panel.locator(".toc-chapter").all()][0] == "1-тарау. Жалпы ережелер"
    panel.locator(".toc-link[data-clause-id='regulation.p8.l1.s5']").click()
    columns = page.locator("#act-viewer .parallel-column")
    columns.nth(1).wait_for()
    kk, ru = columns.nth(0), columns.nth(1)
    assert (kk.get_attribute("lang"), ru.get_attribute("lang")) == ("kk", "ru")
    assert text(kk.locator(".citation")) == "Ереженің 8-тармағының 5) тармақшасы (құқықтары)"
    assert text(ru.locator(".citation")) == "подпункт 5) пункта 8 Положения (права)"
    assert text(ru.locator(".quote-text")).startswith("5) назначать экспертизы")
    kk_box, ru_box = kk.bounding_box(), ru.bounding_box()
    assert abs(kk_box["y"] - ru_box["y"]) < 2 and kk_box["x"] + kk_box["width"] <= ru_box["x"]  # side by side
    # A whole point reads as the act prints it: lead-in, then its subpoints as a list.
    panel.locator(".toc-link[data-clause-id='regulation.p8']").click()
    page.locator("#act-viewer[data-clause-id='regulation.p8']").wait_for()
    assert columns.nth(1).locator(".subpoints > li").count() == 19  # 11 rights and 8 duties

    page.keyboard.press("Escape")
    assert not panel.is_visible() and toggle.get_attribute("aria-expanded") == "false"


def test_bad_input_is_explained_and_never_cut(page):
    box = page.get_by_label("Задайте вопрос")
    counter = page.locator("#char-count")
    notice = page.locator("#ask-message")
    assert text(counter) == "0 / 1000" and not notice.is_visible()

    box.press("Enter")  # empty
    assert text(notice) == "Вопрос пуст: напишите, что вы хотите узнать."
    box.fill("   \n  ")
    box.press("Enter")  # whitespace only
    assert text(notice) == "В вопросе одни пробелы: напишите, что вы хотите узнать."
    assert page.locator(".turn").count() == 0

    question = ("Кто возглавляет прокуратуру района и кто назначает прокурора? " * 30)[:1500]
    box.fill(question)
    assert text(counter) == "1500 / 1000"
    assert "char-count--over" in counter.get_attribute("class")
    assert notice.is_visible() and "1500" in text(notice) and "500" in text(notice)
    assert box.get_attribute("aria-invalid") == "true"
    box.press("Enter")
    assert page.locator(".turn").count() == 0  # not sent...
    assert box.input_value() == question  # ...and not cut
    assert notice.is_visible()

    box.fill("Кто возглавляет прокуратуру района?" + " " * 964 + "?")  # exactly the limit
    assert text(counter) == "1000 / 1000" and not notice.is_visible()
    box.press("Enter")
    page.locator(".turn .answer").wait_for()
    assert text(counter) == "0 / 1000"

    box.fill("ә" * 999 + "😀")  # characters, not UTF-16 units, are counted, as the server counts them
    assert text(counter) == "1000 / 1000"


def test_verdicts_are_told_apart(page):
    """A server `verdict` ("partial": no direct answer, the closest clauses) is shown distinctly."""
    response = page.request.post(page.url.rstrip("/") + "/ask", data={"question": "Кто возглавляет прокуратуру района?"}).json()
    partial = {**response, "verdict": "partial", "confidence": 0.42}
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(partial)))
    answer = send(page, "Кто возглавляет прокуратуру района?").locator(".answer")
    assert answer.get_attribute("data-verdict") == "partial"
    assert "answer--partial" in answer.get_attribute("class") and "answer--abstained" not in answer.get_attribute("class")
    assert text(answer.locator(".answer-heading")) == "Прямого ответа в акте нет — ближайшие положения"
    assert text(answer.locator(".confidence")) == "Уверенность: 42%"
    assert answer.locator(".hit--top").count() == 1


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
    assert text(answer.locator(".confidence")) == "Уверенность: 10%"
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
        assert turn.locator(".hit--top mark").count() > 0

        box = page.get_by_label("Сұрағыңызды қойыңыз")
        box.fill("а" * 1200)
        notice = page.locator("#ask-message")
        assert notice.is_visible() and "1200" in text(notice) and text(page.locator("#char-count")) == "1200 / 1000"
        for node in (notice, page.locator("#char-count"), page.locator("#send")):
            box_ = node.bounding_box()
            assert box_["x"] >= 0 and box_["x"] + box_["width"] <= 375
        assert page.evaluate(no_sideways_scroll)

        page.locator("#contents-button").click()
        page.locator(".toc-link[data-clause-id='regulation.p8.l1.s5']").click()
        viewer = page.locator("#act-viewer .parallel-column")
        viewer.nth(1).wait_for()
        panel = page.locator("#act-panel").bounding_box()
        assert panel["x"] >= 0 and panel["width"] <= 375
        assert viewer.nth(0).bounding_box()["y"] < viewer.nth(1).bounding_box()["y"]  # stacked on a phone
        assert page.evaluate(no_sideways_scroll)
        assert page.evaluate("document.getElementById('act-panel').scrollWidth <= document.getElementById('act-panel').clientWidth")
    finally:
        context.close()


def local_only(page, base_url: str) -> list[str]:
    """Refuse and record every request that would leave the app's origin."""
    outside: list[str] = []

    def check(route):
        url = route.request.url
        if url.startswith((base_url + "/", "data:", "blob:" + base_url)):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", check)
    page.on("request", lambda request: None if request.url.startswith((base_url, "data:", "blob:" + base_url)) else outside.append(request.url))
    return outside


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_offline(browser, server, path):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        outside = local_only(page, server.url)
        page.goto(server.url + path)
        if path == "/docs":
            page.locator(".swagger-ui .opblock-summary-path").first.wait_for()
            paths = {text(p) for p in page.locator(".swagger-ui .opblock-summary-path").all()}
            assert {"/ask", "/act", "/clauses/{clause_id}", "/health"} <= paths
        else:
            page.get_by_text("Download OpenAPI specification").first.wait_for()
            page.locator("h2", has_text="Health").first.wait_for()
            headings = {text(h) for h in page.locator("h2").all()}
            assert {"Ask", "Act", "Clause", "Health"} <= headings, headings
        assert page.title().startswith("zanger")
        assert outside == [] and errors == []
    finally:
        context.close()


def test_chat_makes_no_request_outside_the_app(page, server):
    outside = local_only(page, server.url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.reload()
    send(page, "Кто возглавляет прокуратуру района?")
    page.locator("#contents-button").click()
    page.locator(".toc-link").first.wait_for()
    page.locator(".toc-link[data-clause-id='regulation.p8']").click()
    page.locator("#act-viewer .parallel-column").nth(1).wait_for()
    assert outside == [] and errors == []
