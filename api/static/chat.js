// The web chat: sends questions to POST /ask, keeps the conversation (and the server's session id)
// in sessionStorage across a reload, shows cited clauses. The interface language is the user's
// choice (kept in localStorage); each answer is shown in its own language, and earlier bubbles keep
// the labels they were drawn with. Text goes into the page through textContent, never as HTML.
import { LANGS, UI } from "./i18n.js";
import { clauseActions, el, errorBox, parallelControl, quote } from "./clause.js";
import { setupPanel } from "./act.js";

const MAX_CHARS = 1000; // Settings.max_question_chars; the server refuses longer questions (422)
const STORE_KEY = "zanger.chat"; // sessionStorage: {sessionId, turns: [{question, label, result}]}
const LANG_KEY = "zanger.uiLang"; // localStorage: the interface language the user chose
const MAX_KEPT_TURNS = 50;

const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const send = document.getElementById("send");
const log = document.getElementById("log");
const counter = document.getElementById("char-count");
const notice = document.getElementById("ask-message");

function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key)) || null;
  } catch (unavailable) {
    return null;
  }
}

function writeStorage(storage, key, value) {
  try {
    storage.setItem(key, typeof value === "string" ? value : JSON.stringify(value));
  } catch (fullOrDisabled) {
    // Keeping the conversation is a convenience; the chat works without it.
  }
}

const state = readJson(sessionStorage, STORE_KEY) || { sessionId: null, turns: [] };
let uiLang = (() => {
  try {
    const chosen = localStorage.getItem(LANG_KEY);
    if (LANGS.includes(chosen)) return chosen;
  } catch (unavailable) {}
  return (navigator.language || "").toLowerCase().startsWith("kk") ? "kk" : "ru";
})();

function save() {
  state.turns = state.turns.slice(-MAX_KEPT_TURNS);
  writeStorage(sessionStorage, STORE_KEY, state);
}

function setUiLang(lang) {
  uiLang = lang;
  const t = UI[lang];
  document.documentElement.lang = lang;
  document.title = t.title;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t[node.dataset.i18n];
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t[node.dataset.i18nPlaceholder];
  for (const node of document.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t[node.dataset.i18nLabel]);
  for (const button of document.querySelectorAll("[data-ui-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.uiLang === lang));
  }
  updateCounter();
}

// --- answers -----------------------------------------------------------------------------------

/** "answered" | "partial" | "not_in_act": the server's verdict when it sends one, else from `abstained`. */
function verdictOf(answer) {
  if (answer.verdict) return answer.verdict;
  return answer.abstained || answer.hits.length === 0 ? "not_in_act" : "answered";
}

function topHit(hit, lang) {
  const figure = el("figure", "hit hit--top");
  figure.dataset.clauseId = hit.id;
  const actions = clauseActions(hit, lang);
  const parallel = parallelControl(hit, lang);
  actions.append(parallel.querySelector(".parallel-toggle")); // one row: link, copy, parallel text
  figure.append(el("figcaption", "citation", hit.citation), quote(hit, hit.highlights), actions, parallel);
  return figure;
}

function hitList(hits, lang) {
  const list = el("ol", "hits");
  for (const hit of hits) {
    const item = el("li", "hit");
    item.dataset.clauseId = hit.id;
    const details = el("details");
    const summary = el("summary");
    const snippet = hit.text.length > 90 ? hit.text.slice(0, 90).trimEnd() + "…" : hit.text;
    summary.append(el("span", "citation", hit.citation), el("span", "snippet", ` — ${snippet}`));
    details.append(summary, quote(hit, hit.highlights), clauseActions(hit, lang));
    item.append(details, parallelControl(hit, lang));
    list.append(item);
  }
  return list;
}

function answerBlock(answer) {
  const t = UI[answer.lang];
  const verdict = verdictOf(answer);
  const block = el("section", `answer answer--${verdict}`, null, answer.lang);
  block.dataset.verdict = verdict;
  if (verdict === "not_in_act") block.classList.add("answer--abstained");
  const heading = el("div", "answer-head");
  const confidence = el("span", "confidence", `${t.confidence}: ${Math.round(answer.confidence * 100)}%`);
  heading.append(el("h3", "answer-heading", t[verdict]), confidence);
  block.append(heading);
  if (answer.followup) block.append(el("p", "followup-note", t.followup));
  if (answer.note) block.append(el("p", "answer-note", answer.note));
  if (verdict === "not_in_act") {
    block.append(el("p", "answer-text", answer.answer.split("\n")[0]));
    if (answer.hits.length) block.append(el("h4", "hits-heading", t.maybe), hitList(answer.hits, answer.lang));
    return block;
  }
  const [best, ...related] = answer.hits;
  block.append(topHit(best, answer.lang));
  if (related.length) block.append(el("h4", "hits-heading", t.related), hitList(related, answer.lang));
  return block;
}

// --- turns ---------------------------------------------------------------------------------------

function bubble(question, label) {
  const node = el("div", "question");
  node.append(el("p", "who", UI[label].you, label), el("p", "question-text", question));
  return node;
}

function showResult(turn, result) {
  if (result.ok) {
    turn.querySelector(".question").lang = result.data.lang;
    turn.append(answerBlock(result.data));
  } else {
    turn.append(errorBox(result.error));
  }
}

async function ask(question) {
  const label = uiLang;
  const turn = el("article", "turn");
  const pending = el("p", "pending", UI[label].pending, label);
  turn.append(bubble(question, label), pending);
  log.append(turn);
  log.setAttribute("aria-busy", "true");
  send.disabled = true;
  turn.scrollIntoView({ block: "end" });

  let response;
  try {
    response = await fetch("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, session_id: state.sessionId }),
    });
  } catch (networkError) {
    response = null;
  }
  let data = null;
  try {
    data = response ? await response.json() : null;
  } catch (notJson) {}
  const result = response && response.ok ? { ok: true, data } : { ok: false, error: data && data.error ? data.error : null };
  if (result.ok) state.sessionId = data.session_id; // whatever the server issued, sent back as is
  state.turns.push({ question, label, result });
  save();

  pending.remove();
  showResult(turn, result);
  send.disabled = false;
  log.removeAttribute("aria-busy");
  turn.scrollIntoView({ block: "start" });
}

function restore() {
  for (const kept of state.turns) {
    const turn = el("article", "turn");
    turn.append(bubble(kept.question, LANGS.includes(kept.label) ? kept.label : "ru"));
    showResult(turn, kept.result);
    log.append(turn);
  }
  if (state.turns.length) log.lastElementChild.scrollIntoView({ block: "start" });
}

// --- input: counted as typed, never cut, refused with a visible reason ------------------------------

function charCount(text) {
  return [...text].length; // code points, as the server counts them
}

function showNotice(text) {
  notice.textContent = text || "";
  notice.hidden = !text;
  input.setAttribute("aria-invalid", String(Boolean(text)));
}

function updateCounter() {
  const n = charCount(input.value);
  counter.textContent = UI[uiLang].count(n, MAX_CHARS);
  counter.classList.toggle("char-count--over", n > MAX_CHARS);
  showNotice(n > MAX_CHARS ? UI[uiLang].tooLong(n, MAX_CHARS) : null);
}

function problemWith(question) {
  if (question === "") return UI[uiLang].empty;
  if (!question.trim()) return UI[uiLang].blank;
  if (charCount(question) > MAX_CHARS) return UI[uiLang].tooLong(charCount(question), MAX_CHARS);
  return null;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (send.disabled) return;
  const question = input.value;
  const problem = problemWith(question);
  if (problem) {
    showNotice(problem);
    input.focus();
    return;
  }
  showNotice(null);
  input.value = "";
  updateCounter();
  ask(question).finally(() => input.focus());
});

input.addEventListener("input", updateCounter);

// Enter sends, Shift+Enter starts a new line (and an IME composition is never cut short).
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

document.getElementById("new-conversation").addEventListener("click", () => {
  state.sessionId = null;
  state.turns = [];
  save();
  for (const turn of log.querySelectorAll(".turn")) turn.remove();
  input.focus();
});

for (const button of document.querySelectorAll("[data-ui-lang]")) {
  button.addEventListener("click", () => {
    writeStorage(localStorage, LANG_KEY, button.dataset.uiLang);
    setUiLang(button.dataset.uiLang);
  });
}

setUiLang(uiLang);
restore();
setupPanel(() => uiLang);
input.focus();
