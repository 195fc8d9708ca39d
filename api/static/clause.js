// How a clause of the act is shown: its lines as the act prints them (a point's subpoints as a list),
// the question's words marked, a link to the clause and a copy-citation button.
// Clause text reaches the page only through text nodes and <mark> elements, never parsed as HTML.
import { UI, otherLang } from "./i18n.js";

const SUBPOINT_LINE = /^\d+\)\s/;
let nextId = 0;

export function el(tag, className, text, lang) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  if (lang) node.lang = lang;
  return node;
}

export async function getJson(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (networkError) {
    return { ok: false, error: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (notJson) {
    data = null;
  }
  if (!response.ok) return { ok: false, error: data && data.error ? data.error : null };
  return { ok: true, data };
}

const actCache = {};

/** GET /act?lang=…, fetched once per language: the table of contents and the act's full name. */
export function loadAct(lang) {
  if (!actCache[lang]) {
    actCache[lang] = getJson(`/act?lang=${encodeURIComponent(lang)}`).then((result) => {
      if (!result.ok) delete actCache[lang];
      return result;
    });
  }
  return actCache[lang];
}

// Text nodes for text[start, end), with the parts inside highlight spans wrapped in <mark>.
function marked(text, start, end, highlights) {
  const nodes = [];
  let at = start;
  for (const [from, to] of highlights || []) {
    const a = Math.max(from, at);
    const b = Math.min(to, end);
    if (b <= a) continue;
    if (a > at) nodes.push(document.createTextNode(text.slice(at, a)));
    nodes.push(el("mark", "match", text.slice(a, b)));
    at = b;
  }
  if (at < end) nodes.push(document.createTextNode(text.slice(at, end)));
  return nodes;
}

/**
 * The clause text as blocks: lines before a numbered subpoint are paragraphs, "N) …" lines are
 * items of a list, and unnumbered lines after an item continue that item. `prefix` ("3) ") goes
 * before the first line, outside the highlight offsets, which index `text`.
 */
export function clauseBody(text, highlights, prefix) {
  const body = el("div", "quote-text");
  let list = null;
  let item = null;
  let offset = 0;
  for (const [index, line] of text.split("\n").entries()) {
    const start = offset;
    offset += line.length + 1;
    const block = el(SUBPOINT_LINE.test(line) ? "li" : "p", "line");
    if (index === 0 && prefix) block.append(prefix);
    block.append(...marked(text, start, start + line.length, highlights));
    if (block.tagName === "LI") {
      if (!list) body.append((list = el("ol", "subpoints")));
      block.className = "subpoint";
      list.append(block);
      item = block;
    } else if (item) {
      item.append(block);
    } else {
      body.append(block);
    }
  }
  return body;
}

/** A clause quoted as the act prints it: a subpoint after its list's lead-in. */
export function quote(clause, highlights) {
  const block = el("blockquote", "quote", null, clause.lang);
  if (clause.context) block.append(el("p", "quote-context", clause.context + " …"));
  const prefix = clause.subpoint !== null && clause.subpoint !== undefined ? `${clause.subpoint}) ` : "";
  block.append(clauseBody(clause.text, highlights, prefix));
  return block;
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function clauseUrl(id) {
  return `${location.origin}${location.pathname}#${id}`;
}

/** What "copy citation" puts on the clipboard: the citation with the act's name, the quote, the link. */
export async function citationText(clause) {
  const act = await loadAct(clause.lang);
  const source = act.ok ? ` — ${act.data.title}` : "";
  const lead = clause.context ? `${clause.context} … ` : "";
  const number = clause.subpoint !== null && clause.subpoint !== undefined ? `${clause.subpoint}) ` : "";
  return `${capitalize(clause.citation)}${source}:\n«${lead}${number}${clause.text}»\n${clauseUrl(clause.id)}`;
}

async function writeClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (notAllowed) {
    const area = el("textarea", "visually-hidden");
    area.value = text;
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  }
}

/** The link to a clause (its URL fragment opens it in the act's text) and the copy-citation button. */
export function clauseActions(clause, lang) {
  const t = UI[lang];
  const row = el("div", "clause-actions");
  const link = el("a", "clause-link", t.link);
  link.href = `#${clause.id}`;
  link.title = t.linkTitle;
  const copy = el("button", "copy-citation", t.copy);
  copy.type = "button";
  copy.addEventListener("click", async () => {
    const done = await writeClipboard(await citationText(clause));
    copy.textContent = done ? t.copied : t.copyFailed;
    copy.dataset.state = done ? "copied" : "failed";
    setTimeout(() => {
      copy.textContent = t.copy;
      delete copy.dataset.state;
    }, 2500);
  });
  row.append(link, copy);
  return row;
}

export function errorBox(error) {
  const network = {
    ru: "Сервис не ответил. Проверьте соединение и попробуйте ещё раз.",
    kk: "Қызмет жауап бермеді. Байланысты тексеріп, қайталап көріңіз.",
  };
  const box = el("div", "message message--error");
  box.setAttribute("role", "alert");
  box.append(el("p", "error-title", "Ошибка · Қате"));
  box.append(el("p", "error-text", error ? error.message_ru : network.ru, "ru"));
  box.append(el("p", "error-text", error ? error.message_kk : network.kk, "kk"));
  return box;
}

/** One language's column of a side-by-side view. */
export function parallelColumn(clause) {
  const column = el("section", "parallel-column", null, clause.lang);
  column.dataset.lang = clause.lang;
  column.append(
    el("p", "lang-tag", UI[clause.lang].languageName),
    el("h4", "citation", clause.citation),
    quote(clause, null),
    clauseActions(clause, clause.lang),
  );
  return column;
}

/** The clause beside its twin in the other language, `first` language on the left. */
export async function sideBySide(id, first) {
  const view = el("div", "parallel");
  const result = await getJson(`/clauses/${encodeURIComponent(id)}?lang=${encodeURIComponent(first)}&parallel=true`);
  if (result.ok) view.append(parallelColumn(result.data), parallelColumn(result.data.parallel));
  else view.append(errorBox(result.error));
  return { view, ok: result.ok };
}

/** "Параллельный текст / Қатар мәтін": a toggle that shows the clause beside its other-language twin. */
export function parallelControl(hit, lang) {
  const t = UI[lang];
  const wrap = el("div", "parallel-control");
  const button = el("button", "parallel-toggle", t.parallel);
  const holder = el("div", "parallel-holder");
  button.type = "button";
  holder.id = `parallel-${++nextId}`;
  holder.hidden = true;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", holder.id);
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-expanded") === "true") {
      holder.hidden = true;
      button.setAttribute("aria-expanded", "false");
      button.textContent = t.parallel;
      return;
    }
    if (!holder.dataset.loaded) {
      button.disabled = true;
      const { view, ok } = await sideBySide(hit.id, lang);
      button.disabled = false;
      holder.replaceChildren(view);
      if (ok) holder.dataset.loaded = "true";
    }
    holder.hidden = false;
    button.setAttribute("aria-expanded", "true");
    button.textContent = t.hideParallel;
  });
  wrap.append(button, holder);
  return wrap;
}

export { otherLang };
