// The act's table of contents (GET /act) in either language, and any clause opened side by side
// with its other-language text, as the official publication shows acts. A clause's URL fragment
// (#regulation.p8.l1.s3) opens it here.
import { LANGS, UI } from "./i18n.js";
import { el, errorBox, loadAct, sideBySide } from "./clause.js";

const CLAUSE_ID = /^[a-z]+\.[a-z0-9.]+$/;

const panel = document.getElementById("act-panel");
const toggle = document.getElementById("contents-button");
const contents = document.getElementById("act-contents");
const viewer = document.getElementById("act-viewer");
let contentsLang = null;
let openId = null;

function entryLabel(entry) {
  if (entry.level === "point") return `${entry.point}.`;
  if (entry.level === "subpoint") return `${entry.subpoint})`;
  return entry.citation.charAt(0).toUpperCase() + entry.citation.slice(1);
}

function entryNode(entry, lang) {
  const item = el("li", `toc-item toc-item--${entry.level}`);
  const link = el("a", "toc-link", null, lang);
  link.href = `#${entry.id}`;
  link.dataset.clauseId = entry.id;
  link.title = entry.citation;
  link.append(el("span", "toc-label", entryLabel(entry)), " ", el("span", "toc-snippet", entry.snippet));
  item.append(link);
  if (entry.children.length) {
    const list = el("ol", "toc-list");
    for (const child of entry.children) list.append(entryNode(child, lang));
    item.append(list);
  }
  return item;
}

async function renderContents(lang) {
  contentsLang = lang;
  for (const button of panel.querySelectorAll("[data-contents-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.contentsLang === lang));
  }
  const result = await loadAct(lang);
  if (contentsLang !== lang) return;
  contents.replaceChildren();
  contents.lang = lang;
  if (!result.ok) {
    contents.append(errorBox(result.error));
    return;
  }
  for (const document_ of result.data.documents) {
    const section = el("section", "toc-document");
    section.dataset.document = document_.document;
    section.append(el("h3", "toc-document-title", document_.title));
    for (const chapter of document_.chapters) {
      if (chapter.chapter !== null) {
        section.append(el("h4", "toc-chapter", `${UI[lang].chapter(chapter.chapter)}. ${chapter.title || ""}`));
      }
      const list = el("ol", "toc-list");
      for (const entry of chapter.clauses) list.append(entryNode(entry, lang));
      section.append(list);
    }
    contents.append(section);
  }
  markCurrent();
}

function markCurrent() {
  for (const link of contents.querySelectorAll(".toc-link")) {
    if (link.dataset.clauseId === openId) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

export function openPanel(uiLang) {
  panel.hidden = false;
  toggle.setAttribute("aria-expanded", "true");
  if (!contentsLang) renderContents(uiLang);
}

export function closePanel() {
  panel.hidden = true;
  toggle.setAttribute("aria-expanded", "false");
  toggle.focus();
}

/** Show one clause in both languages at the top of the panel. */
export async function openClause(id, uiLang) {
  openPanel(uiLang);
  openId = id;
  markCurrent();
  viewer.hidden = false;
  viewer.setAttribute("aria-busy", "true");
  const { view } = await sideBySide(id, contentsLang || uiLang);
  if (openId !== id) return;
  viewer.replaceChildren(view);
  viewer.removeAttribute("aria-busy");
  viewer.dataset.clauseId = id;
  viewer.scrollIntoView({ block: "start" });
}

/** Open the clause named by the URL fragment, if any. */
export function followFragment(uiLang) {
  const id = decodeURIComponent(location.hash.slice(1));
  if (CLAUSE_ID.test(id)) openClause(id, uiLang);
}

export function setupPanel(getUiLang) {
  toggle.addEventListener("click", () => (panel.hidden ? openPanel(getUiLang()) : closePanel()));
  document.getElementById("act-close").addEventListener("click", closePanel);
  for (const button of panel.querySelectorAll("[data-contents-lang]")) {
    button.addEventListener("click", () => renderContents(button.dataset.contentsLang));
  }
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });
  window.addEventListener("hashchange", () => followFragment(getUiLang()));
  // A link to the clause already in the fragment fires no hashchange: open it all the same.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.clause-link, a.toc-link");
    if (link && link.getAttribute("href") === location.hash) {
      event.preventDefault();
      followFragment(getUiLang());
    }
  });
  followFragment(getUiLang());
}

export { LANGS };
