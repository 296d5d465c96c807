// 专家评审平板: the nominations an expert scores (recused ones never reach the tablet), one sheet each. Scores go
// through the tablets' outbox (outbox.js), which survives a dropped network and sends each score once; the
// service worker (tablet.js, tablet-sw.js) lets the page open again with no network. The sheet shows its
// running total in exact decimals (rubric.js); once submitted it reads as done until 修改评分.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const params = new URLSearchParams(location.search);
  const programmeId = Number(params.get("programme")) || null;
  const STATUS = { draft: ["草稿", "warn"], submitted: ["已提交", "ok"] };
  const KIND = { measurement: "评分", pass_fail: "达标判定", judgement: "评价", deduction: "扣分" };
  const LIMIT = 50;

  let me = null;
  let programme = null;
  let items = [];
  let total = 0;
  let filter = "";
  let openId = null; // nomination id of the open sheet
  const notes = {}; // key -> { kind, text, aspectId }
  const drafts = {}; // key -> marks typed but not yet saved { aspect: value }
  const editing = new Set(); // keys of submitted sheets the expert chose to change (修改评分)
  let modules = []; // the rubric's aspects grouped by module

  // --- the outbox (static/js/outbox.js): scores survive a dropped network, each sent exactly once ---------
  const keyOf = (nominationId) => `${programmeId}:${nominationId}`;
  const outbox = Outbox.create({
    name: "review",
    url: "/api/review/sheets",
    fields: ["programme_id", "nomination_id"],
    accepted: (entry, sheet) => received(entry.nomination_id, sheet),
    stale(entry, detail) {
      const item = items.find((i) => i.nomination_id === entry.nomination_id);
      const sheet = { ...(item ? item.sheet : {}), version: detail.current_version, status: detail.status, marks: detail.marks };
      delete drafts[entry.key];
      received(entry.nomination_id, sheet);
      note(entry.key, "bad", "此评分表已在另一台设备上更新，已显示服务器上的分数，请核对后重新保存。");
    },
    refused: (entry, message, aspectId) => note(entry.key, "bad", message, aspectId),
    expired: () => showMessage("bad", "登录已过期，评分仍保存在本机。请重新登录，登录后会自动发送。"),
    settled: () => { if (openId) renderState(); },
  });
  const pendingFor = outbox.pending;

  function queue(nominationId, marks, submit) {
    const target = { programme_id: programmeId, nomination_id: nominationId };
    outbox.queue(keyOf(nominationId), target, marks, submit);
  }

  function received(nominationId, sheet) {
    const item = items.find((i) => i.nomination_id === nominationId);
    if (item) item.sheet = { ...item.sheet, ...sheet };
    if (openId === nominationId) renderSheet();
    else renderList();
  }

  // --- messages ------------------------------------------------------------------------------------------
  function showMessage(kind, text) {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }
  function note(key, kind, text, aspectId) {
    notes[key] = { kind, text, aspectId };
    if (openId && keyOf(openId) === key) renderState();
    else renderList();
  }

  // --- programmes ------------------------------------------------------------------------------------------
  async function showProgrammes() {
    $("#choose").hidden = false;
    const list = await App.api("GET", "/api/review/programmes");
    $("#programmes").innerHTML = list.map((p) => `
      <a class="judge-card" href="/review?programme=${p.programme_id}">
        <span class="review-name">${App.esc(p.name)}</span>
        <span class="muted">${App.esc(p.kind_name)} · ${App.esc(p.state_name)} · 专家 ${p.reviewer_no} 号</span>
        <span class="judge-progress">已提交 ${p.submitted}/${p.to_review}</span>
      </a>`).join("");
    $("#no-programmes").hidden = list.length > 0;
  }

  // --- the list ---------------------------------------------------------------------------------------------
  async function loadList(append = false) {
    const query = new URLSearchParams({ limit: LIMIT, offset: append ? items.length : 0 });
    if (filter) query.set("status", filter);
    const page = await App.api("GET", `/api/review/programmes/${programmeId}/nominations?${query}`);
    const read = page.items.map((item) => [keyOf(item.nomination_id), item.sheet.version]);
    for (const item of page.items) item.sheet = outbox.newer(keyOf(item.nomination_id), item.sheet); // offline copies may be older
    items = append ? items.concat(page.items) : page.items;
    total = page.total;
    outbox.seen(read);
    renderList();
  }

  function statusOf(item) {
    const key = keyOf(item.nomination_id);
    if (pendingFor(key).length) return ["待发送", "warn"];
    if (!item.sheet.version) return ["未评", ""];
    return STATUS[item.sheet.status];
  }

  const sumOf = (marks) => Rubric.format(Rubric.totals(modules, marks).total);

  function renderList() {
    if (!programme) return;
    $("#nominations").innerHTML = items.map((item) => {
      const [label, tone] = statusOf(item);
      const done = tone === "ok" ? " ✓" : "";
      const key = keyOf(item.nomination_id);
      const marks = shownMarks(item);
      const score = Object.keys(marks).length ? `<span class="judge-progress">${sumOf(marks)} 分</span>` : "";
      return `
        <button type="button" class="judge-card review-card ${item.sheet.status}" data-id="${item.nomination_id}">
          <span class="review-name">${App.esc(item.name)}</span>
          <span class="muted">${App.esc(item.employer_name || "")}</span>
          <span class="row"><span class="badge ${tone}">${label}${done}</span>${score}${notes[key] ? '<span class="badge bad">需核对</span>' : ""}</span>
        </button>`;
    }).join("");
    $("#no-nominations").hidden = items.length > 0;
    $("#more").hidden = items.length >= total;
  }

  $("#filter-tabs").addEventListener("click", (event) => {
    const button = event.target.closest("[data-filter]");
    if (!button) return;
    filter = button.dataset.filter;
    for (const b of document.querySelectorAll("#filter-tabs button")) {
      b.setAttribute("aria-selected", String(b === button));
      b.classList.toggle("secondary", b !== button);
    }
    loadList();
  });
  $("#more").addEventListener("click", () => loadList(true));
  $("#nominations").addEventListener("click", (event) => {
    const card = event.target.closest("[data-id]");
    if (card) showSheet(Number(card.dataset.id), true);
  });

  // --- the sheet -------------------------------------------------------------------------------------------
  function shownMarks(item) {
    const key = keyOf(item.nomination_id);
    const marks = {};
    for (const m of item.sheet.marks || []) marks[m.aspect_id] = String(m.value);
    for (const entry of pendingFor(key)) Object.assign(marks, entry.marks);
    Object.assign(marks, drafts[key] || {});
    return marks;
  }

  function showSheet(nominationId, push) {
    const item = items.find((i) => i.nomination_id === nominationId);
    if (!item) return;
    openId = nominationId;
    if (push) history.pushState({ sheet: nominationId }, "", `?programme=${programmeId}#${nominationId}`);
    $("#list").hidden = true;
    $("#sheet").hidden = false;
    window.scrollTo(0, 0);
    $("#sheet-name").textContent = item.name;
    $("#sheet-employer").textContent = [item.employer_name, item.union_name].filter(Boolean).join(" · ");
    $("#sheet-deed").textContent = item.deed || "（未填写事迹）";
    $("#sheet-achievements").innerHTML = achievements(item);
    renderSheet();
  }

  function achievements(item) {
    const a = item.achievements;
    const parts = [];
    for (const r of a.competition_results || []) parts.push(`${r.year ? r.year + " " : ""}${r.title}${r.prize || ""}`);
    if (a.patent_count) parts.push(`专利 ${a.patent_count} 项`);
    if (a.apprentices_trained) parts.push(`带徒 ${a.apprentices_trained} 人`);
    for (const h of a.titles_honours || []) parts.push(`${h.year ? h.year + " " : ""}${h.title}`);
    if (item.attachments) parts.push(`证明材料 ${item.attachments} 份`);
    return parts.length ? `<ul class="review-facts">${parts.map((p) => `<li>${App.esc(p)}</li>`).join("")}</ul>` : "";
  }

  function backToList() {
    openId = null;
    $("#sheet").hidden = true;
    $("#list").hidden = false;
    renderList();
  }
  $("#back").addEventListener("click", () => { history.pushState({}, "", `?programme=${programmeId}`); backToList(); });
  window.addEventListener("popstate", () => {
    const id = Number(location.hash.slice(1));
    if (id) showSheet(id, false);
    else backToList();
  });

  function groupModules(aspects) {
    const grouped = [];
    for (const aspect of aspects) {
      let module = grouped.find((m) => m.id === aspect.module_id);
      if (!module) grouped.push((module = { id: aspect.module_id, name: aspect.module_name, aspects: [] }));
      module.aspects.push(aspect);
    }
    return grouped;
  }

  // How a sheet reads: closed (review over), open (scoring), done (submitted, read-only), editing (修改评分).
  function modeOf(item) {
    if (!programme.open_for_review) return "closed";
    const key = keyOf(item.nomination_id);
    const submitted = item.sheet.status === "submitted" || pendingFor(key).some((entry) => entry.submit);
    if (!submitted) return "open";
    return editing.has(key) || drafts[key] ? "editing" : "done"; // unsaved changes stay in view, editable
  }

  function renderSheet() {
    if (!openId) return;
    const item = items.find((i) => i.nomination_id === openId);
    const marks = shownMarks(item);
    const form = $("#marks");
    const typing = document.activeElement && form.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
    if (!typing) {
      const disabled = ["closed", "done"].includes(modeOf(item)) ? "disabled" : "";
      form.innerHTML = modules.map((module) => `
        <fieldset class="judge-module">${Tablet.legend(module)}
          ${module.aspects.map((aspect) => aspectHtml(aspect, marks[aspect.id], disabled)).join("")}
        </fieldset>`).join("");
      Tablet.levels(modules);
    }
    renderState();
  }

  function aspectHtml(aspect, value, disabled) {
    const id = `aspect-${aspect.id}`;
    const range = aspect.kind === "judgement"
      ? `0–3 级，满分 ${aspect.max_mark}` : `0–${aspect.max_mark}${aspect.step ? `，步长 ${aspect.step}` : ""}`;
    let control;
    if (aspect.kind === "judgement" || aspect.kind === "pass_fail") {
      control = Tablet.choices(aspect, value, disabled);
    } else {
      control = `<div class="judge-number"><input id="${id}" name="${App.esc(aspect.id)}" type="number" inputmode="decimal"
        min="0" max="${aspect.max_mark}" step="${aspect.step || "any"}" value="${value ?? ""}" ${disabled}
        placeholder="0–${aspect.max_mark}" data-aspect="${App.esc(aspect.id)}"></div>`;
    }
    return `<div class="judge-aspect" data-aspect-box="${App.esc(aspect.id)}">
      <div class="judge-aspect-head"><label for="${id}">${App.esc(aspect.name || aspect.id)}</label>
        <span class="muted">${KIND[aspect.kind] || ""} · ${range}</span></div>${control}
      <div class="field-error" data-error-for="${App.esc(aspect.id)}"></div></div>`;
  }

  function renderState() {
    if (!openId) return;
    const item = items.find((i) => i.nomination_id === openId);
    const key = keyOf(openId);
    const [label, tone] = statusOf(item);
    const badge = $("#sheet-status");
    badge.textContent = label;
    badge.className = `badge ${tone}`;
    const mode = modeOf(item);
    const closed = mode === "closed";
    $("#save").hidden = mode !== "open";
    $("#submit").hidden = mode === "closed" || mode === "done";
    $("#submit").textContent = mode === "editing" ? "提交修改" : "提交评分";
    $("#edit").hidden = mode !== "done";
    const waiting = pendingFor(key).length > 0;
    Tablet.done(mode === "done", { waiting, submittedAt: item.sheet.submitted_at });
    Tablet.totals(modules);
    const box = $("#sheet-notice");
    const message = notes[key];
    document.querySelectorAll("[data-error-for]").forEach((slot) => { slot.textContent = ""; });
    if (message) {
      box.className = `notice ${message.kind}`;
      box.textContent = message.text;
      box.hidden = false;
      const slot = message.aspectId && document.querySelector(`[data-error-for="${CSS.escape(message.aspectId)}"]`);
      if (slot) slot.textContent = message.text;
    } else if (closed) {
      box.className = "notice";
      box.textContent = `评选处于「${programme.state_name}」阶段，评分已锁定。`;
      box.hidden = false;
    } else if (mode === "editing") {
      box.className = "notice warn";
      box.textContent = "正在修改已提交的评分：改完请点「提交修改」。";
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  function typed(aspectId, value) {
    const key = keyOf(openId);
    drafts[key] = { ...(drafts[key] || {}), [aspectId]: value };
    Tablet.totals(modules);
  }

  $("#marks").addEventListener("input", (event) => {
    const input = event.target.closest("input[data-aspect]");
    if (input) typed(input.dataset.aspect, input.value.trim());
  });
  $("#marks").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-aspect]");
    if (!button || button.disabled) return;
    button.parentElement.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    typed(button.dataset.aspect, button.dataset.value);
  });

  function save(submit) {
    const key = keyOf(openId);
    const item = items.find((i) => i.nomination_id === openId);
    const marks = { ...(drafts[key] || {}) };
    const all = shownMarks(item);
    delete notes[key];
    for (const aspect of programme.aspects) {
      const text = aspect.id in marks ? marks[aspect.id] : all[aspect.id];
      if (text === undefined || text === "") {
        if (submit) return note(key, "bad", `“${aspect.name || aspect.id}”尚未评分，不能提交`, aspect.id);
        delete marks[aspect.id];
        continue;
      }
      const problem = Rubric.problem(aspect, text);
      if (problem) return note(key, "bad", `“${aspect.name || aspect.id}”${problem}`, aspect.id);
    }
    if (!Object.keys(marks).length && !submit) return note(key, "warn", "没有修改");
    delete drafts[key];
    if (submit) editing.delete(key);
    queue(openId, marks, submit);
    renderSheet();
  }
  $("#save").addEventListener("click", () => save(false));
  $("#submit").addEventListener("click", () => save(true));
  $("#edit").addEventListener("click", () => {
    editing.add(keyOf(openId));
    renderSheet();
  });

  // --- start ----------------------------------------------------------------------------------------------
  function logoutWarning() {
    const waiting = Number($("#pending-count").textContent) || 0;
    const text = ["退出后需要重新登录才能继续评审；离线时无法登录。"];
    if (waiting) text.push(`还有 ${waiting} 份评分尚未发送：它们保存在本机，您重新登录后会自动发送。`);
    return { title: "确定退出登录？", text };
  }

  async function start() {
    Tablet.install("/review", (online) => outbox.setOnline(online));
    me = await App.header();
    if (!me) {
      if (!navigator.onLine) return showMessage("bad", "当前离线，本机没有保存登录信息。请联网后再打开本页。");
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    Tablet.guardLogout(logoutWarning);
    outbox.open(me.id);
    if (!programmeId) {
      await showProgrammes();
      return Tablet.keep(["/api/auth/me", "/api/review/programmes"]);
    }
    try {
      programme = await App.api("GET", `/api/review/programmes/${programmeId}`);
    } catch (error) {
      showMessage("bad", error.message);
      return showProgrammes();
    }
    modules = groupModules(programme.aspects);
    $("#programme-title").textContent = programme.name;
    $("#programme-meta").textContent =
      `${programme.kind_name} · ${programme.state_name} · 您是 ${programme.reviewer_no} 号评审专家 · 已提交 ${programme.submitted}/${programme.to_review}`;
    $("#list").hidden = false;
    if (!programme.open_for_review) showMessage("warn", `评选处于「${programme.state_name}」阶段，不接受评分。`);
    await loadList();
    const id = Number(location.hash.slice(1));
    if (id) showSheet(id, false);
    outbox.flush();
    const first = new URLSearchParams({ limit: LIMIT, offset: 0 });
    const base = `/api/review/programmes/${programmeId}`;
    await Tablet.keep(["/api/auth/me", "/api/review/programmes", base, `${base}/nominations?${first}`]);
  }
  start().catch((error) => {
    showMessage("bad", error instanceof App.ApiError ? error.message : "网络不通，且本机没有保存评审任务。请联网后刷新本页。");
  });
})();
