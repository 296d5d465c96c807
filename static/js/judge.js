// 裁判评分平板: contestants by station and blind code only, one sheet per contestant and stage. Marks go
// through the tablets' outbox (outbox.js), which survives a dropped network and sends each mark once; the
// service worker (tablet.js, tablet-sw.js) lets the page open again with no network. A sheet shows its
// running total and what the judgement levels mean (rubric.js); once submitted it reads as done, and
// changing it again is an explicit 修改评分.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const params = new URLSearchParams(location.search);
  const competitionId = Number(params.get("competition")) || null;
  const KIND = { measurement: "测量", pass_fail: "达标判定", judgement: "评价", deduction: "扣分" };
  const STATUS = { draft: ["草稿", "warn"], submitted: ["已提交", "ok"], signed: ["已签字", "ok"] };
  const DEBOUNCE_MS = 250;

  let me = null;
  let comp = null; // the competition as this judge sees it (rubric filtered to their modules)
  let rows = []; // contestants: station, blind code, progress per stage
  let stageId = null;
  let openSheet = null; // { key, code, stageId }
  const sheets = {}; // key -> the server's sheet (last answer)
  const notes = {}; // key -> a message to show on the sheet (conflict, refusal)
  const editing = new Set(); // keys of submitted sheets the judge chose to change (修改评分)

  // --- the outbox (static/js/outbox.js): marks survive a dropped network, each sent exactly once ----------
  const keyOf = (stage, code) => `${competitionId}:${stage}:${code}`;
  const outbox = Outbox.create({
    name: "judge",
    url: "/api/judge/sheets",
    fields: ["competition_id", "stage_id", "blind_code"],
    debounceMs: DEBOUNCE_MS,
    counted: (entries) => entries.reduce((n, item) => n + (Object.keys(item.marks).length || 1), 0), // marks waiting
    accepted: (entry, sheet) => received(entry.key, sheet),
    stale(entry, detail) {
      // Another tablet wrote this sheet: show the server's marks, the judge redoes the rest.
      const server = sheets[entry.key] || { marks: [], flags: [] };
      received(entry.key, { ...server, version: detail.current_version, status: detail.status, marks: detail.marks });
      note(entry.key, "bad", "此评分表已在另一台设备上更新，已显示服务器上的分数，请核对后重新录入。");
    },
    refused(entry, message, aspectId) {
      note(entry.key, "bad", message, aspectId);
      if (openSheet && openSheet.key === entry.key) reloadSheet();
    },
    expired: () => showMessage("bad", "登录已过期，评分仍保存在本机。请重新扫描二维码或登录后自动发送。"),
    settled: () => { if (openSheet) renderSheetState(); },
  });
  const pendingFor = outbox.pending;

  function queue(stage, code, marks, submit) {
    const target = { competition_id: competitionId, stage_id: stage, blind_code: code };
    outbox.queue(keyOf(stage, code), target, marks, submit);
  }

  function received(key, sheet) {
    sheets[key] = sheet;
    const [competition, stage, code] = key.split(":");
    if (Number(competition) !== competitionId) return;
    const row = rows.find((r) => r.blind_code === code);
    const progress = row && row.stages.find((s) => String(s.stage_id) === stage);
    if (progress) updateProgress(progress, sheet);
    if (openSheet && openSheet.key === key) renderSheet();
    else renderList();
  }

  function updateProgress(progress, sheet) {
    progress.status = sheet.status;
    progress.version = sheet.version;
    progress.marked = sheet.marks.length;
    progress.open_flags = (sheet.flags || []).filter((f) => f.status === "open").length;
  }

  function showMessage(kind, text) {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }
  function note(key, kind, text, aspectId) {
    notes[key] = { kind, text, aspectId };
    if (openSheet && openSheet.key === key) renderSheetState();
    else renderList();
  }

  // --- the rubric ----------------------------------------------------------------------------------------
  const stageOf = (id) => comp.stages.find((s) => s.id === Number(id));
  const aspectsOf = (id) => stageOf(id).modules.flatMap((m) => m.aspects);

  // The marks shown: the server's, with what is still waiting in the outbox on top.
  function shownMarks(key) {
    const marks = {};
    for (const m of (sheets[key] && sheets[key].marks) || []) marks[m.aspect_id] = String(m.value);
    for (const item of pendingFor(key)) Object.assign(marks, item.marks);
    return marks;
  }

  // --- the list ------------------------------------------------------------------------------------------
  function renderTabs() {
    const rubric = comp.stages.filter((s) => s.kind === "rubric");
    $("#stage-tabs").innerHTML = rubric.map((s) => `
      <button type="button" role="tab" data-stage="${s.id}" aria-selected="${s.id === stageId}"
        class="${s.id === stageId ? "" : "secondary"}">${App.esc(s.name)}${s.signed_off ? "（已签字确认）" : ""}</button>`).join("");
    $("#stage-tabs").hidden = rubric.length < 2;
  }

  function renderList() {
    if (!comp) return;
    renderTabs();
    // A later round (轮次) lists only who went through, in its starting order (出场顺序); else by station.
    const startOf = (row) => (row.stages.find((s) => s.stage_id === stageId) || {}).start_no;
    const ordered = rows.some((row) => startOf(row) != null)
      ? [...rows].sort((a, b) => (startOf(a) ?? 1e9) - (startOf(b) ?? 1e9)) : rows;
    const cards = ordered.map((row) => {
      const progress = row.stages.find((s) => s.stage_id === stageId);
      if (!progress) return "";
      const start = progress.start_no != null ? `<span class="judge-start">出场 <b>${progress.start_no}</b></span>` : "";
      const key = keyOf(stageId, row.blind_code);
      const waiting = pendingFor(key).length > 0;
      const [label, tone] = waiting ? ["待发送", "warn"] : progress.version === 0 ? ["未评", ""] : STATUS[progress.status];
      const done = !waiting && progress.status !== "draft" ? " ✓" : "";
      const flags = progress.open_flags ? `<span class="badge bad">需复核 ${progress.open_flags}</span>` : "";
      const conflict = notes[key] ? `<span class="badge bad">需核对</span>` : "";
      return `
        <button type="button" class="judge-card ${progress.status}" data-code="${App.esc(row.blind_code)}">
          ${start}<span class="judge-station">工位 <b>${row.station_no}</b></span>
          <span class="judge-code">${App.esc(row.blind_code)}</span>
          <span class="judge-progress">已评 ${progress.marked}/${progress.total}</span>
          <span class="row"><span class="badge ${tone}">${label}${done}</span>${flags}${conflict}</span>
        </button>`;
    });
    $("#contestants").innerHTML = cards.join("");
    $("#no-contestants").hidden = cards.some((card) => card !== "");
    const stage = stageOf(stageId);
    $("#sign-stage").hidden = !stage || stage.signed_off || !rows.length;
  }

  $("#stage-tabs").addEventListener("click", (event) => {
    const button = event.target.closest("[data-stage]");
    if (!button) return;
    stageId = Number(button.dataset.stage);
    renderList();
  });
  $("#contestants").addEventListener("click", (event) => {
    const card = event.target.closest("[data-code]");
    if (card) showSheet(stageId, card.dataset.code, true);
  });
  $("#sign-stage").addEventListener("click", async () => {
    if (outbox.waiting()) return showMessage("warn", "还有评分待发送，请待发送完成后再签字。");
    const sure = await Tablet.confirm({
      title: "本环节全部签字？",
      text: "将对本环节所有已提交的评分表签字确认。签字后不可修改，如需更正须由裁判长处理。",
      ok: "全部签字",
    });
    if (!sure) return;
    try {
      const result = await App.api("POST", `/api/judge/competitions/${competitionId}/stages/${stageId}/sign`);
      const skipped = result.skipped.length ? `，${result.skipped.length} 份有超差评分项待复核，未签字` : "";
      showMessage("ok", `已签字 ${result.signed.length} 份${skipped}。`);
      await loadRows();
    } catch (error) {
      showMessage("bad", error.message);
    }
  });

  // --- the sheet -----------------------------------------------------------------------------------------
  async function showSheet(stage, code, push) {
    openSheet = { key: keyOf(stage, code), code, stageId: stage };
    if (push) history.pushState({ sheet: [stage, code] }, "", `?competition=${competitionId}#${stage}/${code}`);
    $("#list").hidden = true;
    $("#sheet").hidden = false;
    window.scrollTo(0, 0);
    renderSheet();
    await reloadSheet();
  }

  const sheetUrl = (stage, code) => `/api/judge/competitions/${competitionId}/stages/${stage}/sheets/${encodeURIComponent(code)}`;

  async function reloadSheet() {
    if (!openSheet) return;
    const { key, code, stageId: stage } = openSheet;
    try {
      const read = await App.api("GET", sheetUrl(stage, code));
      const sheet = outbox.newer(key, read); // offline, the read may be an older copy than the last answer
      if (!(navigator.serviceWorker && navigator.serviceWorker.controller)) outbox.setOnline(true); // else the worker says
      sheets[key] = sheet;
      outbox.seen([[key, read.version]]);
      if (openSheet && openSheet.key === key) renderSheet();
    } catch (error) {
      if (error instanceof App.ApiError) note(key, "bad", error.message);
      else outbox.setOnline(false); // offline: work from what is known
    }
  }

  function backToList() {
    openSheet = null;
    $("#sheet").hidden = true;
    $("#list").hidden = false;
    renderList();
  }
  $("#back").addEventListener("click", () => { history.pushState({}, "", `?competition=${competitionId}`); backToList(); });
  window.addEventListener("popstate", () => {
    const match = location.hash.match(/^#(\d+)\/(.+)$/);
    if (match) showSheet(Number(match[1]), decodeURIComponent(match[2]), false);
    else backToList();
  });

  // --- how a sheet reads: open (marking), done (submitted, read-only), editing (修改评分), locked (signed) ------
  function modeOf(key) {
    const sheet = sheets[key];
    const stage = stageOf(openSheet.stageId);
    if ((sheet && sheet.status === "signed") || (stage && stage.signed_off) || (sheet && sheet.stage_signed_off)) {
      return "locked";
    }
    const submitted = (sheet && sheet.status === "submitted") || pendingFor(key).some((entry) => entry.submit);
    if (!submitted) return "open";
    return editing.has(key) ? "editing" : "done";
  }

  function renderSheet() {
    if (!openSheet) return;
    const { key, code, stageId: stage } = openSheet;
    const row = rows.find((r) => r.blind_code === code);
    $("#sheet-station").textContent = row ? row.station_no : "";
    $("#sheet-code").textContent = code;
    $("#sheet-stage").textContent = stageOf(stage).name;
    const marks = shownMarks(key);
    const flags = ((sheets[key] && sheets[key].flags) || []).filter((f) => f.status === "open");
    const mode = modeOf(key);
    const disabled = mode === "locked" || mode === "done" ? "disabled" : "";
    const form = $("#marks");
    const focused = document.activeElement && form.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
    if (focused) return renderSheetState(); // never re-render under a finger that is typing
    const modules = stageOf(stage).modules;
    form.innerHTML = modules.map((module) => `
      <fieldset class="judge-module">${Tablet.legend(module)}
        ${module.aspects.map((aspect) => aspectHtml(aspect, marks[aspect.id], flags.find((f) => f.aspect_id === aspect.id), disabled)).join("")}
      </fieldset>`).join("");
    Tablet.levels(modules);
    renderSheetState();
  }

  function aspectHtml(aspect, value, flag, disabled) {
    const id = `aspect-${aspect.id}`;
    const head = `<div class="judge-aspect-head"><label for="${id}">${App.esc(aspect.name || aspect.id)}</label>
      <span class="muted">${KIND[aspect.kind]} · ${aspectRange(aspect)}</span></div>`;
    const warn = flag ? `<div class="judge-flag">⚠ 与其他裁判评分相差 ${App.esc(flag.spread)} 分，超出允许范围，请复核；如确认无误请等待裁判长处理。</div>` : "";
    let control;
    if (aspect.kind === "judgement" || aspect.kind === "pass_fail") {
      control = Tablet.choices(aspect, value, disabled);
    } else {
      const step = aspect.step || "any";
      control = `<div class="judge-number"><input id="${id}" name="${App.esc(aspect.id)}" type="number" inputmode="decimal"
        min="0" max="${aspect.max_mark}" step="${step}" value="${value ?? ""}" ${disabled}
        placeholder="${aspect.kind === "deduction" ? "0（无扣分）" : `0–${aspect.max_mark}`}" data-aspect="${App.esc(aspect.id)}"></div>`;
    }
    return `<div class="judge-aspect ${flag ? "flagged" : ""}" data-aspect-box="${App.esc(aspect.id)}">${head}${control}
      <div class="field-error" data-error-for="${App.esc(aspect.id)}"></div>${warn}</div>`;
  }

  function aspectRange(aspect) {
    if (aspect.kind === "judgement") return `0–3 级，满分 ${aspect.max_mark}`;
    if (aspect.kind === "pass_fail") return `0 或 ${aspect.max_mark}`;
    const step = aspect.step ? `，步长 ${aspect.step}` : "";
    return aspect.kind === "deduction" ? `最多扣 ${aspect.max_mark}${step}` : `0–${aspect.max_mark}${step}`;
  }

  function renderSheetState() {
    if (!openSheet) return;
    const { key } = openSheet;
    const sheet = sheets[key];
    const waiting = pendingFor(key).length > 0;
    const status = sheet ? sheet.status : "draft";
    const [label, tone] = waiting ? ["待发送", "warn"] : sheet && sheet.version ? STATUS[status] : ["未评", ""];
    const badge = $("#sheet-status");
    badge.textContent = label;
    badge.className = `badge ${tone}`;
    const mode = modeOf(key);
    const openFlags = ((sheet && sheet.flags) || []).some((f) => f.status === "open");
    $("#submit").hidden = mode === "locked" || mode === "done";
    $("#submit").textContent = mode === "editing" ? "完成修改" : "提交评分";
    $("#edit").hidden = mode !== "done";
    $("#sign").hidden = mode !== "done" || status !== "submitted" || waiting;
    $("#sign").textContent = openFlags ? "坚持评分并签字" : "签字确认（签字后不可修改）";
    Tablet.done(mode === "done", { waiting, flagged: openFlags, submittedAt: sheet && sheet.submitted_at });
    renderNotice(key, mode);
    Tablet.totals(stageOf(openSheet.stageId).modules);
  }

  function renderNotice(key, mode) {
    const box = $("#sheet-notice");
    const message = notes[key];
    const show = (kind, text) => {
      box.className = `notice ${kind}`;
      box.textContent = text;
      box.hidden = false;
    };
    if (message) {
      show(message.kind, message.text);
      if (message.aspectId) {
        const slot = document.querySelector(`[data-error-for="${CSS.escape(message.aspectId)}"]`);
        if (slot) slot.textContent = message.text;
      }
    } else if (mode === "locked") {
      show("ok", "本评分表已签字确认，分数已锁定。如需更正请联系裁判长。");
    } else if (mode === "editing") {
      show("warn", "正在修改已提交的评分表：每项修改即时保存，改完请点「完成修改」。");
    } else {
      box.hidden = true;
    }
  }

  function setMark(aspectId, value, submit = false) {
    const { stageId: stage, code, key } = openSheet;
    delete notes[key];
    queue(stage, code, { [aspectId]: value }, submit);
    renderSheetState();
  }

  $("#marks").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-aspect]");
    if (!button || button.disabled) return;
    const group = button.parentElement;
    group.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    setMark(button.dataset.aspect, button.dataset.value);
  });
  $("#marks").addEventListener("input", () => Tablet.totals(stageOf(openSheet.stageId).modules));
  $("#marks").addEventListener("change", (event) => {
    const input = event.target.closest("input[data-aspect]");
    if (!input) return;
    const aspect = aspectsOf(openSheet.stageId).find((a) => a.id === input.dataset.aspect);
    const problem = Rubric.problem(aspect, input.value);
    const slot = document.querySelector(`[data-error-for="${CSS.escape(aspect.id)}"]`);
    slot.textContent = problem || "";
    input.setAttribute("aria-invalid", String(Boolean(problem)));
    if (!problem && input.value.trim() !== "") setMark(aspect.id, input.value.trim());
  });
  $("#marks").addEventListener("submit", (event) => event.preventDefault());

  $("#submit").addEventListener("click", () => {
    document.activeElement && document.activeElement.blur(); // commits a number being typed
    const { key, stageId: stage, code } = openSheet;
    const marks = shownMarks(key);
    const filled = {};
    for (const aspect of aspectsOf(stage)) {
      if (marks[aspect.id] === undefined && aspect.kind === "deduction") filled[aspect.id] = "0"; // blank = no deduction
    }
    const missing = aspectsOf(stage).filter((a) => marks[a.id] === undefined && filled[a.id] === undefined);
    if (missing.length) {
      note(key, "bad", `还有 ${missing.length} 项未评分：${missing.map((a) => a.name || a.id).join("、")}`);
      return;
    }
    delete notes[key];
    editing.delete(key);
    queue(stage, code, filled, true);
    renderSheet();
    outbox.flush();
  });

  $("#edit").addEventListener("click", () => {
    editing.add(openSheet.key);
    renderSheet();
  });

  $("#sign").addEventListener("click", async () => {
    const { key } = openSheet;
    const sheet = sheets[key];
    if (!sheet || !sheet.sheet_id) return;
    // A flagged sheet may be signed when the judge keeps the marks: the chief judge then accepts the flag
    // and nobody signs this unchanged sheet again; to re-mark instead, use 修改评分 first.
    const flagged = (sheet.flags || []).some((f) => f.status === "open");
    const sure = await Tablet.confirm(flagged
      ? {
        title: "坚持现有评分并签字？",
        text: "本评分表有超差待处理的评分项。签字即表示您复核后坚持现有评分，由裁判长确认；签字后不可再修改。如需改分，请取消并点“修改评分”。",
        ok: "坚持评分并签字",
      }
      : {
        title: "签字确认本评分表？",
        text: "签字确认后本评分表不可再修改，如需更正须由裁判长处理。",
        ok: "签字确认",
      });
    if (!sure) return;
    try {
      await App.api("POST", `/api/judge/sheets/${sheet.sheet_id}/sign`, { version: sheet.version, keep_marks: flagged });
      await reloadSheet();
      await loadRows();
      renderSheet();
    } catch (error) {
      note(key, "bad", error.message);
    }
  });

  // --- start ---------------------------------------------------------------------------------------------
  async function loadRows() {
    rows = await App.api("GET", `/api/judge/competitions/${competitionId}/sheets`);
    const known = rows.flatMap((row) => row.stages.map((p) => [keyOf(p.stage_id, row.blind_code), p.version]));
    for (const row of rows) {
      for (const progress of row.stages) {
        const key = keyOf(progress.stage_id, row.blind_code);
        const answer = outbox.newer(key, progress); // read offline, the list may be older than our last write
        if (answer !== progress) updateProgress(progress, answer);
      }
    }
    outbox.seen(known, { keepKnown: true });
    renderList();
  }

  async function chooseCompetition() {
    const mine = await App.api("GET", "/api/judge/competitions");
    $("#choose").hidden = false;
    $("#no-competitions").hidden = mine.length > 0;
    $("#competitions").innerHTML = mine.map((c) => `
      <a class="judge-card" href="/judge?competition=${c.competition_id}">
        <span class="judge-station"><b>${App.esc(c.title)}</b></span>
        <span class="muted">${App.esc(c.occupation)} · ${c.judge_no} 号裁判${c.is_chief ? "（裁判长）" : ""}</span>
      </a>`).join("");
  }

  // 退出 asks first: a judge who came in by a one-time link cannot come back without a new one.
  function logoutWarning() {
    const waiting = Number($("#pending-count").textContent) || 0;
    const text = [Tablet.LINK_SPENT];
    if (waiting) text.push(`还有 ${waiting} 条评分尚未发送：它们保存在本机，您重新登录后会自动发送。`);
    return { title: "确定退出登录？", text };
  }

  async function start() {
    Tablet.install("/judge", (online) => outbox.setOnline(online));
    me = await App.header();
    if (!me) {
      if (!navigator.onLine) return showMessage("bad", "当前离线，本机没有保存登录信息。请联网后再打开本页。");
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (me.role !== "judge") {
      showMessage("bad", "本页面供裁判使用。");
      return;
    }
    Tablet.guardLogout(logoutWarning);
    outbox.open(me.id);
    if (!competitionId) {
      await chooseCompetition();
      return Tablet.keep(["/api/auth/me", "/api/judge/competitions"]);
    }
    try {
      comp = await App.api("GET", `/api/judge/competitions/${competitionId}`);
    } catch (error) {
      showMessage("bad", error.message);
      return;
    }
    document.title = `${comp.title} · 裁判评分`;
    $("#comp-title").textContent = comp.title;
    $("#comp-meta").textContent = `${comp.judge_no} 号裁判${comp.is_chief ? "（裁判长）" : ""} · 允许误差 ${comp.tolerance} 分`;
    const chief = $("#chief-link");
    chief.hidden = !comp.is_chief;
    chief.href = `/judge/chief?competition=${competitionId}`;
    if (!comp.has_scheme) showMessage("warn", "组织者尚未设置评分标准。");
    const rubric = comp.stages.filter((s) => s.kind === "rubric");
    stageId = rubric.length ? rubric[0].id : null;
    $("#list").hidden = false;
    await loadRows();
    const match = location.hash.match(/^#(\d+)\/(.+)$/);
    if (match) showSheet(Number(match[1]), decodeURIComponent(match[2]), false);
    outbox.flush();
    const base = `/api/judge/competitions/${competitionId}`;
    const open = openSheet ? [sheetUrl(openSheet.stageId, openSheet.code)] : [];
    await Tablet.keep(["/api/auth/me", "/api/judge/competitions", base, `${base}/sheets`, ...open]);
  }

  start().catch((error) => {
    showMessage("bad", error instanceof App.ApiError ? error.message : "网络不通，且本机没有保存评分任务。请联网后刷新本页。");
  });
})();
