// The report's explorer: pick a theme or a topic, read its strongest sections, open one,
// search the sections by a word. Plain JavaScript over the JSON embedded in the page (no
// network, no library); everything is drawn on demand, a page at a time.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("jtopics-data").textContent);
  const PAGE = 20;
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // The text with each of the terms marked (longest first, as the evidence names them).
  function marked(text, terms) {
    const wanted = [...new Set(terms.filter((t) => t))].sort((a, b) => b.length - a.length);
    const out = document.createDocumentFragment();
    if (!wanted.length) {
      out.append(text);
      return out;
    }
    const escaped = wanted.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const pattern = new RegExp(escaped.join("|"), "g");
    let cursor = 0;
    for (const match of text.matchAll(pattern)) {
      out.append(text.slice(cursor, match.index), el("mark", {}, match[0]));
      cursor = match.index + match[0].length;
    }
    out.append(text.slice(cursor));
    return out;
  }

  function sectionTitle(id) {
    const s = data.sections[id];
    return s ? `${s.title}${s.heading ? " — " + s.heading : ""}` : id;
  }

  function openSection(id, terms) {
    const s = data.sections[id];
    const view = $("section-view");
    view.replaceChildren();
    if (!s) {
      view.append(el("p", {}, `${id}: not in this report (see sections.csv)`));
      return;
    }
    view.append(
      el("h3", {}, sectionTitle(id)),
      el("p", { class: "meta" }, `${id} · ${s.published || "日付なし"} · ${s.themes || "テーマなし"}`),
      el("pre", { class: "section-text" }, marked(s.text, terms || s.evidence)),
    );
    view.dataset.section = id;
    view.scrollIntoView({ block: "nearest" });
  }

  // A paged list: rows drawn PAGE at a time, with a "more" button.
  function pagedList(target, rows, render) {
    target.replaceChildren();
    let shown = 0;
    const list = el("ol", { class: "paged" });
    const more = el("button", { class: "more", type: "button" }, "more");
    function next() {
      for (const row of rows.slice(shown, shown + PAGE)) list.append(render(row));
      shown = Math.min(rows.length, shown + PAGE);
      more.hidden = shown >= rows.length;
      more.textContent = `more (${shown} of ${rows.length})`;
    }
    more.addEventListener("click", next);
    target.append(list, more);
    next();
    if (!rows.length) target.append(el("p", {}, "no sections"));
  }

  function showTheme(themeId) {
    const theme = data.themes.find((t) => t.id === themeId);
    $("theme-color").style.background = theme ? theme.color : "transparent";
    const rows = data.theme_sections[themeId] || [];
    pagedList($("theme-sections"), rows, ([id, score, evidence]) => el("li", {},
      el("a", { href: "#", class: "open", "data-section": id, onclick: (e) => {
        e.preventDefault();
        openSection(id, evidence.split("; ").map((x) => x.replace(/^context: /, "")
          .split("×")[0]));
      } }, sectionTitle(id)),
      el("span", { class: "score" }, ` ${score.toFixed(2)} `),
      el("span", { class: "evidence" }, evidence)));
  }

  function showTopic(topicId) {
    const topic = data.topics.find((t) => String(t.id) === String(topicId));
    const target = $("topic-view");
    target.replaceChildren();
    if (!topic) return;
    target.append(el("p", {}, `${topic.label} · ${(topic.share * 100).toFixed(1)}%: `,
      topic.terms.join("、")));
    const list = el("div");
    target.append(list);
    pagedList(list, topic.sections, ([id, weight]) => el("li", {},
      el("a", { href: "#", class: "open", "data-section": id, onclick: (e) => {
        e.preventDefault();
        openSection(id, topic.terms);
      } }, sectionTitle(id)),
      el("span", { class: "score" }, ` ${weight.toFixed(2)}`)));
  }

  // Keyword in context over the sections of this report.
  function search(word) {
    const target = $("kwic-results");
    target.replaceChildren();
    if (!word) return;
    const hits = [];
    for (const [id, s] of Object.entries(data.sections)) {
      let at = s.text.indexOf(word);
      while (at >= 0 && hits.length < 500) {
        hits.push([id, s.text.slice(Math.max(0, at - 20), at), s.text.slice(at + word.length,
          at + word.length + 20)]);
        at = s.text.indexOf(word, at + word.length);
      }
    }
    target.append(el("p", { id: "kwic-count" },
      `${hits.length}${hits.length >= 500 ? "+" : ""} hits in ${Object.keys(data.sections).length} sections`));
    pagedList(target, hits, ([id, left, right]) => el("li", { class: "kwic" },
      el("span", { class: "left" }, left), el("mark", {}, word), el("span", {}, right), " ",
      el("a", { href: "#", class: "open", "data-section": id, onclick: (e) => {
        e.preventDefault();
        openSection(id, [word]);
      } }, id)));
  }

  const themeSelect = $("theme-select");
  for (const theme of data.themes) {
    themeSelect.append(el("option", { value: theme.id },
      `${theme.label_ja} (${theme.label_en}, ${theme.n_sections})`));
  }
  themeSelect.addEventListener("change", () => showTheme(themeSelect.value));
  const topicSelect = $("topic-select");
  for (const topic of data.topics) {
    topicSelect.append(el("option", { value: topic.id }, `${topic.id}: ${topic.label}`));
  }
  topicSelect.addEventListener("change", () => showTopic(topicSelect.value));
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    search($("search-word").value.trim());
  });
  const first = data.themes.find((t) => t.n_sections > 0) || data.themes[0];
  if (first) {
    themeSelect.value = first.id;
    showTheme(first.id);
  }
  if (data.topics.length) showTopic(data.topics[0].id);
  document.body.dataset.ready = "true";
})();
