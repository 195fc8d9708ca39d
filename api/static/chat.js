// The web chat: sends questions to POST /ask, keeps the session id, shows cited clauses.
// Every piece of user or API text goes into the page through textContent, never parsed as HTML.
"use strict";

(() => {
  const UI = {
    ru: {
      title: "Приказ № 127 — вопросы и ответы",
      subtitle: "Ответы по приказу Генерального Прокурора № 127 и Положению о прокуратуре района — с точными ссылками на пункты.",
      logTitle: "Разговор",
      intro: "Спросите по-русски или по-казахски. Ответ приводит текст пункта и ссылку на него; уточняющие вопросы («А кто его назначает?») продолжают разговор.",
      label: "Задайте вопрос",
      placeholder: "Например: Кто возглавляет прокуратуру района?",
      send: "Спросить",
      hint: "Enter — отправить, Shift+Enter — новая строка.",
      newConversation: "Новый разговор",
      you: "Вы",
      pending: "Ищу ответ…",
      answer: "Ответ",
      abstained: "В акте ответа нет",
      followup: "Понято как продолжение разговора.",
      related: "Связанные положения",
      maybe: "Возможно, относятся к вопросу",
      parallel: "Параллельный текст",
      hideParallel: "Скрыть параллельный текст",
      languageName: "Русский",
    },
    kk: {
      title: "№ 127 бұйрық — сұрақтар мен жауаптар",
      subtitle: "Бас Прокурордың № 127 бұйрығы және аудан прокуратурасы туралы Ереже бойынша жауаптар — тармақтарға нақты сілтемемен.",
      logTitle: "Әңгіме",
      intro: "Қазақша немесе орысша сұраңыз. Жауапта тармақтың мәтіні мен сілтемесі беріледі; нақтылау сұрақтары («Ал оны кім тағайындайды?») әңгімені жалғастырады.",
      label: "Сұрағыңызды қойыңыз",
      placeholder: "Мысалы: Аудан прокуратурасын кім басқарады?",
      send: "Сұрау",
      hint: "Enter — жіберу, Shift+Enter — жаңа жол.",
      newConversation: "Жаңа әңгіме",
      you: "Сіз",
      pending: "Жауап ізделуде…",
      answer: "Жауап",
      abstained: "Актіде жауап жоқ",
      followup: "Әңгіменің жалғасы ретінде түсінілді.",
      related: "Қатысты ережелер",
      maybe: "Сұраққа қатысы болуы мүмкін",
      parallel: "Қатар мәтін",
      hideParallel: "Қатар мәтінді жасыру",
      languageName: "Қазақша",
    },
  };
  const ERROR_TITLE = { ru: "Ошибка", kk: "Қате" };
  const NETWORK_ERROR = {
    ru: "Сервис не ответил. Проверьте соединение и попробуйте ещё раз.",
    kk: "Қызмет жауап бермеді. Байланысты тексеріп, қайталап көріңіз.",
  };

  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const log = document.getElementById("log");
  let sessionId = null;
  let uiLang = (navigator.language || "").toLowerCase().startsWith("kk") ? "kk" : "ru";
  let nextId = 0;

  function el(tag, className, text, lang) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (lang) node.lang = lang;
    return node;
  }

  function setUiLang(lang) {
    uiLang = lang;
    document.documentElement.lang = lang;
    document.title = UI[lang].title;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = UI[lang][node.dataset.i18n];
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = UI[lang][node.dataset.i18nPlaceholder];
  }

  function otherLang(lang) {
    return lang === "kk" ? "ru" : "kk";
  }

  // A subpoint is quoted after its list's lead-in, as the act prints it.
  function quote(clause, className) {
    const block = el("blockquote", className, null, clause.lang);
    if (clause.context) block.append(el("p", "quote-context", clause.context + " …"));
    const body = clause.subpoint !== null ? `${clause.subpoint}) ${clause.text}` : clause.text;
    block.append(el("p", "quote-text", body));
    return block;
  }

  function parallelColumn(clause) {
    const column = el("section", "parallel-column", null, clause.lang);
    column.dataset.lang = clause.lang;
    column.append(el("p", "lang-tag", UI[clause.lang].languageName), el("h4", "citation", clause.citation), quote(clause, "quote"));
    return column;
  }

  function errorBox(error) {
    const box = el("div", "message message--error");
    box.setAttribute("role", "alert");
    box.append(el("p", "error-title", `${ERROR_TITLE.ru} · ${ERROR_TITLE.kk}`));
    box.append(el("p", "error-text", error ? error.message_ru : NETWORK_ERROR.ru, "ru"));
    box.append(el("p", "error-text", error ? error.message_kk : NETWORK_ERROR.kk, "kk"));
    return box;
  }

  async function getJson(url, options) {
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

  // "Параллельный текст / Қатар мәтін": the clause beside its twin in the other language.
  function parallelControl(hit, lang) {
    const wrap = el("div", "parallel-control");
    const button = el("button", "parallel-toggle", UI[lang].parallel);
    const view = el("div", "parallel");
    button.type = "button";
    view.id = `parallel-${++nextId}`;
    view.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", view.id);
    button.addEventListener("click", async () => {
      if (button.getAttribute("aria-expanded") === "true") {
        view.hidden = true;
        button.setAttribute("aria-expanded", "false");
        button.textContent = UI[lang].parallel;
        return;
      }
      if (!view.dataset.loaded) {
        button.disabled = true;
        const url = `/clauses/${encodeURIComponent(hit.id)}?lang=${encodeURIComponent(lang)}&parallel=true`;
        const result = await getJson(url);
        button.disabled = false;
        view.replaceChildren();
        if (result.ok) {
          view.append(parallelColumn(result.data), parallelColumn(result.data.parallel));
          view.dataset.loaded = "true";
        } else {
          view.append(errorBox(result.error));
        }
      }
      view.hidden = false;
      button.setAttribute("aria-expanded", "true");
      button.textContent = UI[lang].hideParallel;
    });
    wrap.append(button, view);
    return wrap;
  }

  function topHit(hit, lang) {
    const figure = el("figure", "hit hit--top");
    figure.dataset.clauseId = hit.id;
    figure.append(el("figcaption", "citation", hit.citation), quote(hit, "quote"), parallelControl(hit, lang));
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
      details.append(summary, quote(hit, "quote"));
      item.append(details, parallelControl(hit, lang));
      list.append(item);
    }
    return list;
  }

  function answerBlock(answer) {
    const t = UI[answer.lang];
    const abstained = answer.abstained || answer.hits.length === 0;
    const block = el("section", abstained ? "answer answer--abstained" : "answer", null, answer.lang);
    if (abstained) {
      block.append(el("h3", "answer-heading", t.abstained));
      block.append(el("p", "answer-text", answer.answer.split("\n")[0]));
      if (answer.hits.length) block.append(el("h4", "hits-heading", t.maybe), hitList(answer.hits, answer.lang));
      return block;
    }
    block.append(el("h3", "answer-heading", t.answer));
    if (answer.followup) block.append(el("p", "followup-note", t.followup));
    const [best, ...related] = answer.hits;
    block.append(topHit(best, answer.lang));
    if (related.length) block.append(el("h4", "hits-heading", t.related), hitList(related, answer.lang));
    return block;
  }

  async function ask(question) {
    const turn = el("article", "turn");
    const bubble = el("div", "question");
    const who = el("p", "who", UI[uiLang].you);
    who.dataset.i18n = "you";
    bubble.append(who, el("p", "question-text", question));
    const pending = el("p", "pending", UI[uiLang].pending);
    turn.append(bubble, pending);
    log.append(turn);
    log.setAttribute("aria-busy", "true");
    send.disabled = true;
    turn.scrollIntoView({ block: "end" });

    const result = await getJson("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, session_id: sessionId }),
    });
    pending.remove();
    if (result.ok) {
      sessionId = result.data.session_id;
      bubble.lang = result.data.lang;
      setUiLang(result.data.lang);
      turn.append(answerBlock(result.data));
    } else {
      turn.append(errorBox(result.error));
    }
    send.disabled = false;
    log.removeAttribute("aria-busy");
    turn.scrollIntoView({ block: "start" });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value;
    if (!question.trim() || send.disabled) return;
    input.value = "";
    ask(question).finally(() => input.focus());
  });

  // Enter sends, Shift+Enter starts a new line (and an IME composition is never cut short).
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.getElementById("new-conversation").addEventListener("click", () => {
    sessionId = null;
    for (const turn of log.querySelectorAll(".turn")) turn.remove();
    input.focus();
  });

  setUiLang(uiLang);
  input.focus();
})();
