// giving preview client: injected by `giving serve` only, never part of a build.
// Listens to /_giving/events; reloads when this page changed (keeping the scroll position), swaps
// stylesheets when only CSS changed, shows build errors in an overlay and this post's findings in a panel.
(() => {
  "use strict";
  const stateEl = document.getElementById("giving-state");
  if (!stateEl || window.__givingPreview) return;
  window.__givingPreview = true;
  let state = JSON.parse(stateEl.textContent);
  let version = state.version;
  const page = state.page; // output key of this page; null on the holding page
  const scrollKey = "giving-scroll:" + location.pathname;
  const dismissKey = "giving-dismissed:" + location.pathname;
  let overlayDismissed = "";

  const saved = sessionStorage.getItem(scrollKey);
  if (saved !== null) {
    sessionStorage.removeItem(scrollKey);
    const y = Number(saved);
    const restore = () => window.scrollTo(0, y);
    restore();
    if (document.readyState !== "complete") addEventListener("load", restore, { once: true });
  }

  const host = document.createElement("div");
  host.id = "giving-preview";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
    :host { all: initial; --bg: #fff; --fg: #1b1a18; --muted: #5c5750; --line: #d9d4c7; --code: #f6f4ef;
      --hit: #ffd9de; --red: #b00020; --amber: #8a5a00; --blue: #2a5db0; --badge: #fff1c2; --badge-fg: #6b4c00; }
    @media (prefers-color-scheme: dark) {
      :host { --bg: #23211e; --fg: #ece8e1; --muted: #b3ada3; --line: #48443d; --code: #1a1917;
        --hit: #5a1f28; --red: #ff8a95; --amber: #f0c060; --blue: #8fb4ff; --badge: #4a3c12; --badge-fg: #f6dc8c; }
    }
    * { box-sizing: border-box; }
    .overlay { position: fixed; inset: 0; z-index: 2147483646; background: rgba(20, 18, 16, .82);
      overflow: auto; padding: 4vh 4vw; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); }
    .overlay .box { max-width: 56rem; margin: 0 auto; background: var(--bg); border-top: 6px solid var(--red);
      border-radius: 6px; padding: 1.2rem 1.5rem; box-shadow: 0 10px 40px rgba(0,0,0,.4); }
    .overlay h2 { margin: 0 0 .4rem; font-size: 1.15rem; color: var(--red); }
    .overlay .where { font: 600 14px/1.4 ui-monospace, monospace; margin-top: 1rem; overflow-wrap: anywhere; }
    .overlay .msg { margin: .2rem 0 .4rem; }
    .rule { color: var(--muted); font-size: .92em; }
    .overlay .code { margin: 0; padding: .5rem .7rem; background: var(--code); border-radius: 4px;
      font: 13px/1.45 ui-monospace, monospace; }
    .overlay .code div { display: grid; grid-template-columns: 4.5ch 1fr; gap: 1ch; }
    .overlay .code .n { text-align: right; color: var(--muted); user-select: none; }
    .overlay .code .t { white-space: pre-wrap; overflow-wrap: anywhere; }
    .overlay .code .hit { background: var(--hit); }
    .overlay .note { color: var(--muted); font-size: 13px; margin-top: 1rem; }
    button.close { float: right; border: 0; background: none; font-size: 22px; line-height: 1; cursor: pointer;
      color: inherit; padding: 0 .2rem; }
    .panel { position: fixed; right: 12px; bottom: 12px; z-index: 2147483645; width: min(24rem, calc(100vw - 24px));
      max-height: 45vh; overflow: auto; background: var(--bg); color: var(--fg); border: 1px solid var(--line);
      border-radius: 8px; box-shadow: 0 6px 24px rgba(0,0,0,.18); padding: .7rem .9rem; font: 13.5px/1.45 system-ui, sans-serif; }
    .panel h2 { font-size: 14px; margin: 0 0 .3rem; overflow-wrap: anywhere; }
    .panel ul { margin: .3rem 0; padding-left: 1.1rem; }
    .panel li { margin: .15rem 0; }
    .panel li::marker { font-size: 1.2em; }
    .panel .stats, .muted { color: var(--muted); }
    .panel a { color: var(--blue); }
    .badge { display: inline-block; font-size: 11.5px; font-weight: 600; border-radius: 3px; padding: 0 .35rem;
      margin-right: .3rem; background: var(--badge); color: var(--badge-fg); }
    li.error::marker, .sev.error { color: var(--red); } li.warning::marker, .sev.warning { color: var(--amber); }
    li.info::marker, .sev.info { color: var(--blue); } .sev { font-weight: 600; }
    .pill { position: fixed; right: 12px; bottom: 12px; z-index: 2147483645; border: 1px solid var(--line);
      background: var(--bg); color: var(--fg); border-radius: 999px; padding: .25rem .7rem; cursor: pointer;
      font: 12.5px/1.4 system-ui, sans-serif; box-shadow: 0 3px 12px rgba(0,0,0,.15); }
    [hidden] { display: none !important; }
  </style>
  <div class="overlay" id="overlay" role="alertdialog" aria-label="Build errors" hidden></div>
  <aside class="panel" id="panel" aria-label="giving findings" hidden></aside>
  <button class="pill" id="pill" type="button" hidden></button>`;
  (document.body || document.documentElement).appendChild(host);
  const overlay = root.getElementById("overlay");
  const panel = root.getElementById("panel");
  const pill = root.getElementById("pill");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !overlay.hidden) root.querySelector(".overlay button.close").click();
  });

  function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

  function showOverlay(errors) {
    const key = JSON.stringify(errors.map((e) => e.text));
    if (!errors.length || key === overlayDismissed) { overlay.hidden = true; return; }
    const close = el("button", { class: "close", type: "button", "aria-label": "Hide until the next change" }, "×");
    close.onclick = () => { overlayDismissed = key; overlay.hidden = true; };
    const box = el("div", { class: "box" }, close, el("h2", {}, `The build failed: ${plural(errors.length, "error")}`));
    for (const e of errors) {
      const where = e.line ? `${e.path}:${e.line}` : e.path;
      box.append(el("div", { class: "where" }, where),
        el("div", { class: "msg" }, e.message, " ", el("span", { class: "rule" }, `[${e.rule}]`)));
      if (e.excerpt && e.excerpt.length) {
        const code = el("div", { class: "code" }); // long lines wrap, their number stays in its column
        for (const [n, text] of e.excerpt) {
          code.append(el("div", n === e.line ? { class: "hit" } : {}, el("span", { class: "n" }, String(n)),
            el("span", { class: "t" }, text || " ")));
        }
        box.append(code);
      }
    }
    box.append(el("p", { class: "note" }, "You are looking at the last good build. Fix the file and save; this disappears by itself."));
    overlay.replaceChildren(box);
    overlay.hidden = false;
  }

  function showPanel(data) {
    const findings = data.findings || [];
    const status = data.status || [];
    if (!data.source) { panel.hidden = true; pill.hidden = true; return; }
    const counts = {};
    for (const f of findings) counts[f.severity] = (counts[f.severity] || 0) + 1;
    const summary = findings.length ? plural(findings.length, "finding") : "no findings";
    pill.textContent = (status.length ? status.join(" · ") + " · " : "") + "giving: " + summary;
    const close = el("button", { class: "close", type: "button", "aria-label": "Dismiss" }, "×");
    close.onclick = () => { sessionStorage.setItem(dismissKey, "1"); showPanel(data); };
    const head = el("h2", {}, close, "Findings ", el("span", { class: "muted" }, data.source));
    const body = [head];
    if (status.length) body.push(el("div", {}, ...status.map((s) => el("span", { class: "badge" }, s))));
    const parts = ["error", "warning", "info"].filter((s) => counts[s]).map((s) => plural(counts[s], s === "info" ? "note" : s));
    if (data.voice) {
      parts.push(`I/we ${data.voice.i_we} vs you ${data.voice.you}`, `${data.voice.words} words`);
    }
    body.push(el("div", { class: "stats" }, parts.join(" · ")));
    if (findings.length) {
      const list = el("ul");
      for (const f of findings) {
        list.append(el("li", { class: f.severity }, el("span", { class: `sev ${f.severity}` }, f.line ? `line ${f.line}` : f.severity),
          ": " + f.message + " ", el("span", { class: "rule" }, `[${f.rule}]`)));
      }
      body.push(list);
    }
    body.push(el("div", { class: "muted" }, el("a", { href: "/_giving/" }, `All ${plural(data.total, "finding")} of the site`)));
    panel.replaceChildren(...body);
    const dismissed = sessionStorage.getItem(dismissKey) === "1";
    const wanted = findings.length > 0 || status.length > 0;
    panel.hidden = dismissed || !wanted;
    pill.hidden = !panel.hidden;
  }
  pill.onclick = () => { sessionStorage.removeItem(dismissKey); showPanel(state); };

  function reload() {
    sessionStorage.setItem(scrollKey, String(window.scrollY));
    location.reload();
  }

  async function refresh() {
    if (!page) return;
    try {
      const response = await fetch(`/_giving/page.json?page=${encodeURIComponent(page)}`, { cache: "no-store" });
      state = await response.json();
      showPanel(state);
    } catch (_) { /* the server is restarting; the next event tries again */ }
  }

  function swapStylesheets(pairs) {
    const links = document.querySelectorAll('link[rel~="stylesheet"]');
    for (const link of links) {
      const path = new URL(link.href, location.href).pathname;
      const pair = pairs.find(([from]) => from === path);
      if (!pair) continue;
      const next = link.cloneNode();
      next.href = pair[1] + (pair[0] === pair[1] ? `?v=${Date.now()}` : "");
      const drop = () => link.remove();
      next.addEventListener("load", drop, { once: true });
      next.addEventListener("error", drop, { once: true });
      link.after(next);
    }
  }

  function handle(msg) {
    if (page === "_giving/") {
      if (msg.type !== "hello" || msg.version !== version || msg.ok !== state.ok) reload();
      return;
    }
    if (msg.ok) { overlay.hidden = true; overlayDismissed = ""; } else showOverlay(msg.errors);
    if (msg.version === version || msg.stale === false) { // this page is as served: only findings may differ
      version = msg.version;
      refresh();
      return;
    }
    if (msg.type !== "build" || msg.since !== version || msg.changed === null || !page || page === "404.html") {
      reload(); // missed a build, or cannot tell what changed
      return;
    }
    if (msg.css) {
      swapStylesheets(msg.css);
    } else if (msg.changed.includes(page)) {
      reload();
      return;
    }
    version = msg.version;
    refresh();
  }

  showOverlay(state.errors || []);
  showPanel(state);
  // The stream names this page, so the server renders it first after a save. A browser keeps at most six
  // connections to one server, so a hidden tab lets its stream go and catches up when shown again (the
  // hello says whether its page changed meanwhile); seven open tabs then never starve a page load.
  let source = null;
  function connect() {
    if (source) return;
    const query = page ? `?page=${encodeURIComponent(page)}&v=${encodeURIComponent(version)}` : "";
    source = new EventSource("/_giving/events" + query);
    source.onmessage = (event) => handle(JSON.parse(event.data));
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) connect();
    else if (source) { source.close(); source = null; }
  });
  if (!document.hidden) connect();
})();
