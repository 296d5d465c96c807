// 组织者页面: competition list and create form, the console (edit, lifecycle, review, check-in, draw), print pages.
"use strict";

const CompOrganizer = (() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const INDUSTRIES = {}; // from GET /api/industries, filled once the organizer is known
  const KINDS = { theory: "理论知识", practical: "技能操作", defense: "答辩评审" };
  const DEFAULT_STAGES = [
    { name: "理论知识", kind: "theory", weight_percent: "30" },
    { name: "技能操作", kind: "practical", weight_percent: "70" },
  ];

  async function requireOrganizer() {
    const user = await App.header();
    if (!user) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
    if (user.role !== "organizer") {
      $("main").innerHTML = `<div class="notice bad">只有组织者可以使用此页面。</div>`;
      return null;
    }
    Object.assign(INDUSTRIES, await App.industries());
    return user;
  }

  function slot(name) { return `<div class="field-error" data-error-for="${App.esc(name)}"></div>`; }
  function input(name, label, attrs = "") {
    return `<label for="${name}">${label}</label><input id="${name}" name="${name}" ${attrs}>${slot(name)}`;
  }
  function options(map, selected) {
    return Object.entries(map).map(([v, t]) => `<option value="${v}"${v === selected ? " selected" : ""}>${t}</option>`).join("");
  }

  // --- the competition form (create and edit share it) --------------------------------------------------
  function competitionFields(c = {}) {
    const e = c.eligibility || {};
    const num = (v) => (v == null ? "" : App.esc(v));
    return `
      <div class="grid two">
        <div>${input("title", "竞赛名称", `required maxlength="100" value="${App.esc(c.title || "")}"`)}</div>
        <div>${input("occupation", "工种", `required maxlength="50" value="${App.esc(c.occupation || "")}"`)}</div>
        <div><label for="industry">行业</label><select id="industry" name="industry">${options(INDUSTRIES, c.industry || "intelligent_manufacturing")}</select>${slot("industry")}</div>
        <div>${input("venue", "地点", `maxlength="200" value="${App.esc(c.venue || "")}"`)}</div>
        <div>${input("registration_opens_at", "报名开始（北京时间）", `type="datetime-local" required value="${Comp.isoToLocal(c.registration_opens_at)}"`)}</div>
        <div>${input("registration_closes_at", "报名截止（北京时间）", `type="datetime-local" required value="${Comp.isoToLocal(c.registration_closes_at)}"`)}</div>
        <div>${input("capacity", "名额（不填为不限）", `type="number" min="1" value="${num(c.capacity)}"`)}</div>
      </div>
      <label for="description">说明</label><textarea id="description" name="description" rows="3" maxlength="5000">${App.esc(c.description || "")}</textarea>${slot("description")}
      <h3>竞赛环节与权重（合计 100%）</h3>
      <div id="stage-rows"></div>${slot("stages")}
      <p><button type="button" class="secondary" id="add-stage">添加环节</button></p>
      <h3>参赛条件（均可不填）</h3>
      <div class="grid two">
        <div>${input("eligibility.min_age", "最低年龄", `type="number" min="0" max="120" value="${num(e.min_age)}"`)}</div>
        <div>${input("eligibility.max_age", "最高年龄", `type="number" min="0" max="120" value="${num(e.max_age)}"`)}</div>
        <div>${input("eligibility.age_reference_date", "年龄计算日（默认报名截止日）", `type="date" value="${num(e.age_reference_date)}"`)}</div>
        <div>${input("eligibility.max_per_enterprise", "每家企业限报人数", `type="number" min="1" value="${num(e.max_per_enterprise)}"`)}</div>
        <div><label for="eligibility.least_senior_level">技能等级不低于</label><select id="eligibility.least_senior_level" name="eligibility.least_senior_level">${Comp.levelOptions(e.least_senior_level, "不限")}</select>${slot("eligibility.least_senior_level")}</div>
        <div><label for="eligibility.most_senior_level">技能等级不高于</label><select id="eligibility.most_senior_level" name="eligibility.most_senior_level">${Comp.levelOptions(e.most_senior_level, "不限")}</select>${slot("eligibility.most_senior_level")}</div>
      </div>
      <label class="check"><input type="checkbox" name="eligibility.union_member_required"${e.union_member_required ? " checked" : ""}> 须为工会会员</label>
      <label class="check"><input type="checkbox" name="eligibility.zone_enterprise_required"${e.zone_enterprise_required ? " checked" : ""}> 须为本区登记注册企业职工</label>
      <label class="check"><input type="checkbox" name="eligibility.front_line_only"${e.front_line_only ? " checked" : ""}> 仅限一线职工</label>`;
  }

  function stageRow(s, index) {
    const p = `stages[${index}]`;
    return `<div class="card stage-row" data-index="${index}">
      <div class="grid two">
        <div>${input(`${p}.name`, "环节名称", `required maxlength="50" value="${App.esc(s.name || "")}"`)}</div>
        <div><label for="${p}.kind">类型</label><select id="${p}.kind" name="${p}.kind">${options(KINDS, s.kind || "practical")}</select>${slot(`${p}.kind`)}</div>
        <div>${input(`${p}.weight_percent`, "权重（%）", `type="number" step="0.01" min="0" max="100" required value="${App.esc(s.weight_percent || "")}"`)}</div>
        <div>${input(`${p}.starts_at`, "开始时间", `type="datetime-local" value="${Comp.isoToLocal(s.starts_at)}"`)}</div>
        <div>${input(`${p}.ends_at`, "结束时间", `type="datetime-local" value="${Comp.isoToLocal(s.ends_at)}"`)}</div>
      </div>
      <button type="button" class="ghost" data-remove-stage="${index}">删除此环节</button>
    </div>`;
  }

  function bindStages(form, stages) {
    let rows = stages.map((s) => ({ ...s }));
    const box = $("#stage-rows", form);
    const render = () => {
      box.innerHTML = rows.map(stageRow).join("");
      box.querySelectorAll("[data-remove-stage]").forEach((b) => b.addEventListener("click", () => {
        rows = readStages(form);
        rows.splice(Number(b.dataset.removeStage), 1);
        render();
      }));
    };
    $("#add-stage", form).addEventListener("click", () => {
      rows = readStages(form);
      rows.push({ name: "", kind: "practical", weight_percent: "" });
      render();
    });
    render();
  }

  function readStages(form) {
    return [...form.querySelectorAll(".stage-row")].map((row) => {
      const value = (field) => row.querySelector(`[name$=".${field}"]`).value;
      return {
        name: value("name"), kind: value("kind"), weight_percent: value("weight_percent") || "0",
        starts_at: Comp.localToIso(value("starts_at")), ends_at: Comp.localToIso(value("ends_at")),
      };
    });
  }

  function readCompetition(form, base = {}) {
    const v = (name) => form.elements[name] && form.elements[name].value.trim();
    const n = (name) => (v(name) ? Number(v(name)) : null);
    const checked = (name) => Boolean(form.elements[name] && form.elements[name].checked);
    return {
      title: v("title"), occupation: v("occupation"), industry: v("industry"), venue: v("venue") || "",
      description: form.elements.description.value, capacity: n("capacity"),
      registration_opens_at: Comp.localToIso(v("registration_opens_at")),
      registration_closes_at: Comp.localToIso(v("registration_closes_at")),
      stages: readStages(form),
      eligibility: {
        ...(base.eligibility || {}),
        min_age: n("eligibility.min_age"), max_age: n("eligibility.max_age"),
        age_reference_date: v("eligibility.age_reference_date") || null,
        least_senior_level: n("eligibility.least_senior_level"), most_senior_level: n("eligibility.most_senior_level"),
        max_per_enterprise: n("eligibility.max_per_enterprise"),
        union_member_required: checked("eligibility.union_member_required"),
        zone_enterprise_required: checked("eligibility.zone_enterprise_required"),
        front_line_only: checked("eligibility.front_line_only"),
      },
    };
  }

  // --- /organizer/competitions ----------------------------------------------------------------------------
  async function list() {
    if (!(await requireOrganizer())) return;
    const [items, series] = await Promise.all([App.api("GET", "/api/organizer/competitions"), App.api("GET", "/api/series")]);
    $("#list tbody").innerHTML = items.map((c) => `<tr data-id="${c.id}">
      <td><a href="/organizer/competitions/${c.id}">${App.esc(c.title)}</a><div class="muted">${App.esc(c.series_name || "")}</div></td>
      <td>${Comp.stateBadge(c)}</td><td>${Comp.windowText(c)}</td><td class="num">${c.accepted_count}${c.capacity ? " / " + c.capacity : ""}</td>
      <td><a class="button secondary" href="/organizer/competitions/${c.id}">管理</a></td></tr>`).join("")
      || `<tr><td colspan="5" class="muted">还没有竞赛</td></tr>`;
    const form = $("#create");
    $("#fields", form).innerHTML = competitionFields();
    $("#series_id").innerHTML = `<option value="">（不属于系列）</option>` +
      series.map((s) => `<option value="${s.id}">${App.esc(s.name)}</option>`).join("");
    bindStages(form, DEFAULT_STAGES);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(form);
      const data = { ...readCompetition(form), series_id: Number(form.elements.series_id.value) || null };
      try {
        const created = await App.api("POST", "/api/competitions/", data);
        location.href = `/organizer/competitions/${created.id}`;
      } catch (error) {
        Comp.showProblems(form, error);
      }
    });
    const seriesForm = $("#new-series");
    seriesForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(seriesForm);
      try {
        const s = await App.api("POST", "/api/series/", { name: seriesForm.elements.name.value.trim(), year: Number(seriesForm.elements.year.value) });
        $("#series_id").insertAdjacentHTML("beforeend", `<option value="${s.id}" selected>${App.esc(s.name)}</option>`);
        seriesForm.reset();
      } catch (error) {
        App.showError(seriesForm, error);
      }
    });
  }

  // --- /organizer/competitions/{id} --------------------------------------------------------------------------
  const state = { id: null, admin: null, filters: {} };

  async function manage() {
    if (!(await requireOrganizer())) return;
    state.id = Comp.idFromPath();
    $("#print-checkin").href = `/organizer/competitions/${state.id}/print/checkin`;
    $("#scoring-link").href = `/organizer/scoring?competition=${state.id}`;
    $("#results-link").href = `/organizer/competitions/${state.id}/results`;
    $("#print-stations").href = `/organizer/competitions/${state.id}/print/stations`;
    $("#print-codes").href = `/organizer/competitions/${state.id}/print/stations?codes=1`;
    const exportBase = `/api/competitions/${state.id}/registrations/export`;
    $("#export-xlsx").href = `${exportBase}?format=xlsx`;
    $("#export-csv").href = `${exportBase}?format=csv`;
    // The full export opens every ID and mobile number: it asks why, and the purpose is audited per person.
    $("#export-full").href = `${exportBase}?format=xlsx&full=true`;
    $("#export-full").addEventListener("click", async (event) => {
      event.preventDefault();
      const answer = await App.confirm({
        title: "完整导出报名名单？", tone: "normal", confirmText: "导出",
        details: ["导出的表格包含证件号码和手机号，请妥善保管，勿外传。", "每位报名人的号码被打开一次，都将以您的名义和所填用途记入审计日志。"],
        input: { label: "用途（如：购买赛事保险）", required: true, requiredMessage: "请填写用途（至少 2 个字）", maxlength: 200 },
      });
      const purpose = answer ? answer.value : "";
      if (purpose.length >= 2) {
        location.href = `${exportBase}?format=xlsx&full=true&purpose=${encodeURIComponent(purpose)}`;
      }
    });
    $("#review-filters").addEventListener("change", loadRegistrations);
    $("#approve-selected").addEventListener("click", () => bulk(selectedIds()));
    $("#approve-pending").addEventListener("click", () => bulk(pendingIds()));
    $("#checkin-form").addEventListener("submit", (event) => { event.preventDefault(); checkIn(event.submitter && event.submitter.value); });
    $("#draw-form").addEventListener("submit", (event) => { event.preventDefault(); draw(); });
    $("#edit-form").addEventListener("submit", (event) => { event.preventDefault(); saveEdit(); });
    await refresh();
  }

  async function refresh() {
    try {
      state.admin = await App.api("GET", `/api/organizer/competitions/${state.id}`);
    } catch (error) {
      $("main").innerHTML = `<div class="notice bad">${App.esc(error.message)}</div>`;
      return;
    }
    renderHead();
    const s = state.admin.competition.state;
    $("#checkin").hidden = !["closed", "checked_in", "in_progress", "finished"].includes(s);
    $("#draw").hidden = !["checked_in", "in_progress", "finished"].includes(s);
    await Promise.all([loadRegistrations(), $("#checkin").hidden ? null : loadCheckin(), $("#draw").hidden ? null : loadDraw()]);
  }

  function renderHead() {
    const { competition: c, stats } = state.admin;
    document.title = `${c.title} · 竞赛管理`;
    $("#title").textContent = c.title;
    $("#head").innerHTML = `${Comp.stateBadge(c)} <a href="/competitions/${c.id}">公开页面</a>
      <div class="muted">报名时间：${Comp.windowText(c)} · ${c.stages.map((s) => `${App.esc(s.name)} ${Comp.percent(s.weight_percent)}`).join("，")}</div>
      <div class="stats">
        ${stat("已报名", `${stats.accepted}${c.capacity ? " / " + c.capacity : ""}`)}${stat("候补", stats.waitlisted)}
        ${stat("待审核", stats.pending_review)}${stat("已通过", stats.approved)}${stat("到场", stats.present)}
        ${stat("缺席", stats.absent)}${stat("已抽签", stats.drawn)}
      </div>`;
    const buttons = c.allowed_transitions.map((t) => `<button type="button" data-transition="${t}"
      class="${t === "open" && c.state === "closed" ? "secondary" : ""}">${t === "open" && c.state === "closed" ? "重新开放报名" : Comp.TRANSITION_LABELS[t]}</button>`);
    $("#transitions").innerHTML = buttons.join("") || `<span class="muted">比赛已结束</span>`;
    $("#transitions").querySelectorAll("[data-transition]").forEach((b) => b.addEventListener("click", () => transition(b.dataset.transition)));
    const form = $("#edit-form");
    $("#edit-fields").innerHTML = competitionFields(c);
    bindStages(form, c.stages);
    $("#reopen-box").hidden = c.state === "draft";
  }

  function stat(label, value) {
    return `<div class="stat"><div class="muted">${label}</div><div class="value">${App.esc(value)}</div></div>`;
  }

  function notice(text, kind = "ok") {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.hidden = false;
    box.textContent = text;
  }

  async function transition(target) {
    const c = state.admin.competition;
    const reopen = target === "open" && c.state === "closed";
    const words = reopen
      ? { title: "重新开放报名？", details: ["选手可以再次报名或退出报名，候补名单恢复递补。", "理由将记入审计日志。"] }
      : Comp.TRANSITION_CONFIRM[target];
    const answer = await App.confirm({
      title: `${c.title}：${words.title}`, details: words.details,
      confirmText: reopen ? "重新开放报名" : Comp.TRANSITION_LABELS[target],
      input: reopen ? { label: "重新开放的理由", required: true, maxlength: 500 } : null,
    });
    if (!answer) return;
    try {
      await App.api("POST", `/api/competitions/${state.id}/transition`, { target, version: c.version, reason: answer.value });
      notice(`已变更为「${Comp.TRANSITION_LABELS[target]}」`);
    } catch (error) {
      notice(error.message, "bad");
    }
    await refresh();
  }

  async function saveEdit() {
    const form = $("#edit-form");
    App.clearErrors(form);
    const c = state.admin.competition;
    const data = { ...readCompetition(form, c), version: c.version, reopen: form.elements.reopen.checked, reason: form.elements.reason.value };
    try {
      const result = await App.api("PATCH", `/api/competitions/${state.id}`, data);
      const flagged = result.flagged.length ? `；${result.flagged.length} 条报名不再符合新条件，已退回待审核` : "";
      notice("已保存" + flagged);
      await refresh();
    } catch (error) {
      Comp.showProblems(form, error);
    }
  }

  // Review ---------------------------------------------------------------------------------------------------
  async function loadRegistrations() {
    const params = new URLSearchParams({ limit: 500 });
    for (const [key, value] of Object.entries(App.formData($("#review-filters")))) params.set(key, value);
    const page = await App.api("GET", `/api/competitions/${state.id}/registrations?${params}`);
    state.registrations = page.items;
    const c = state.admin.competition;
    const reviewable = ["open", "closed", "checked_in"].includes(c.state) && !c.drawn_at;
    $("#approve-pending").disabled = $("#approve-selected").disabled = !reviewable;
    $("#review-summary").textContent = `共 ${page.total} 条${page.total > page.items.length ? `，显示前 ${page.items.length} 条` : ""}`;
    $("#registrations tbody").innerHTML = page.items.map((r) => `<tr data-id="${r.id}">
      <td><input type="checkbox" data-select="${r.id}" aria-label="选择 ${App.esc(r.name)}"></td>
      <td class="mono">${App.esc(r.registration_no)}</td><td>${App.esc(r.name)}</td><td>${App.esc(r.employer_name || "")}</td>
      <td class="mono">${App.esc(r.id_number)}</td><td>${Comp.statusBadge(r)}</td>
      <td>${Comp.reviewBadge(r)}${r.review_reason ? `<div class="muted">${App.esc(r.review_reason)}</div>` : ""}</td>
      <td class="actions">${reviewable && ["accepted", "waitlisted"].includes(r.status) ? `
        ${r.review !== "approved" ? `<button type="button" data-approve="${r.id}">通过</button>` : ""}
        <button type="button" class="secondary" data-reject="${r.id}">驳回</button>` : ""}</td></tr>`).join("")
      || `<tr><td colspan="8" class="muted">没有报名</td></tr>`;
    document.querySelectorAll("[data-approve]").forEach((b) => b.addEventListener("click", () => reviewOne(Number(b.dataset.approve), "approve")));
    document.querySelectorAll("[data-reject]").forEach((b) => b.addEventListener("click", () => reviewOne(Number(b.dataset.reject), "reject")));
  }

  function selectedIds() { return [...document.querySelectorAll("[data-select]:checked")].map((b) => Number(b.dataset.select)); }
  function pendingIds() {
    return state.registrations.filter((r) => ["accepted", "waitlisted"].includes(r.status) && r.review === "pending").map((r) => r.id);
  }

  async function bulk(ids) {
    if (!ids.length) { notice("没有要审核的报名", "warn"); return; }
    const ok = await App.confirm({
      title: `审核通过 ${ids.length} 条报名？`, tone: "normal", confirmText: `通过 ${ids.length} 条`,
      details: ["通过后这些选手可以参加检录；如需驳回，须逐条说明理由。"],
    });
    if (!ok) return;
    try {
      const done = await App.api("POST", `/api/competitions/${state.id}/registrations/review`, { registration_ids: ids, decision: "approve" });
      notice(`已审核通过 ${done.length} 条报名`);
    } catch (error) {
      notice(error.message, "bad");
    }
    await refresh();
  }

  async function reviewOne(id, decision) {
    const r = state.registrations.find((x) => x.id === id);
    let reason = "";
    if (decision === "reject") {
      const answer = await App.confirm({
        title: `驳回 ${r.name} 的报名？`, confirmText: "驳回报名",
        details: ["驳回后该选手的名额释放，候补第一位自动递补。", "选手会在“我的报名”中看到驳回理由。"],
        input: { label: "驳回理由", required: true, maxlength: 500 },
      });
      if (!answer) return;
      reason = answer.value;
    }
    try {
      await App.api("POST", `/api/registrations/${id}/review`, { decision, reason, version: r.version });
      notice(decision === "approve" ? `已通过 ${r.name}` : `已驳回 ${r.name}`);
    } catch (error) {
      notice(error.message, "bad");
    }
    await refresh();
  }

  // Check-in ---------------------------------------------------------------------------------------------------
  async function loadCheckin() {
    const sheet = await App.api("GET", `/api/competitions/${state.id}/checkin`);
    const drawn = Boolean(state.admin.competition.drawn_at);
    $("#checkin-form").hidden = drawn;
    $("#checkin tbody").innerHTML = sheet.items.map((r) => `<tr data-id="${r.id}">
      <td class="mono">${App.esc(r.registration_no)}</td><td>${App.esc(r.name)}</td><td>${App.esc(r.employer_name || "")}</td>
      <td>${Comp.reviewBadge(r)}</td>
      <td>${r.attendance ? Comp.badge(Comp.ATTENDANCE_NAMES[r.attendance], r.attendance === "present" ? "ok" : "bad") : `<span class="muted">未检录</span>`}</td>
      <td class="actions">${drawn ? "" : `<button type="button" data-present="${r.id}">到场</button>
        <button type="button" class="secondary" data-absent="${r.id}">缺席</button>`}</td></tr>`).join("")
      || `<tr><td colspan="6" class="muted">没有已报名的选手</td></tr>`;
    document.querySelectorAll("[data-present]").forEach((b) => b.addEventListener("click", () => mark({ registration_id: Number(b.dataset.present), attendance: "present" })));
    document.querySelectorAll("[data-absent]").forEach((b) => b.addEventListener("click", () => mark({ registration_id: Number(b.dataset.absent), attendance: "absent" })));
  }

  async function checkIn(attendance) {
    const form = $("#checkin-form");
    const code = form.elements.code.value.trim();
    // Cleared at once: the next scan may arrive before this one's answer does.
    form.elements.code.value = "";
    form.elements.code.focus();
    await mark({ code, attendance: attendance || "present" }, form);
  }

  async function mark(body, form) {
    if (form) App.clearErrors(form);
    try {
      const r = await App.api("POST", `/api/competitions/${state.id}/checkin`, body);
      notice(`${r.name}（${r.registration_no}）：${Comp.ATTENDANCE_NAMES[r.attendance]}`);
    } catch (error) {
      if (form) App.showError(form, error); else notice(error.message, "bad");
    }
    await refresh();
  }

  // Draw -----------------------------------------------------------------------------------------------------------
  async function loadDraw() {
    const result = await App.api("GET", `/api/competitions/${state.id}/draw`);
    const c = state.admin.competition;
    const form = $("#draw-form");
    form.hidden = c.state !== "checked_in";
    $("#draw-reason").hidden = !c.drawn_at;
    form.querySelector("button").textContent = c.drawn_at ? "重新抽签" : "抽签";
    $("#draw-summary").textContent = c.drawn_at ? `抽签时间：${App.when(c.drawn_at)}，共 ${result.items.length} 名选手` : "尚未抽签";
    $("#stations tbody").innerHTML = result.items.map((d) => `<tr>
      <td class="num station">${d.station_no}</td><td class="mono code">${App.esc(d.blind_code)}</td>
      <td>${App.esc(d.name)}</td><td>${App.esc(d.employer_name || "")}</td><td class="mono">${App.esc(d.registration_no)}</td></tr>`).join("");
  }

  async function draw() {
    const form = $("#draw-form");
    App.clearErrors(form);
    const c = state.admin.competition;
    const ok = await App.confirm(c.drawn_at
      ? {
        title: "重新抽签？", confirmText: "重新抽签",
        details: ["现有工位号和加密号全部作废，已打印的工位表、加密号对照表须重新打印。", "重新抽签的理由将记入审计日志。"],
      }
      : {
        title: `为 ${state.admin.stats.present} 名到场选手抽签？`, confirmText: "抽签",
        details: ["随机确定每位选手的工位号和加密号，结果记入审计日志。", "抽签后检录结束，不能再登记到场或缺席。"],
      });
    if (!ok) return;
    try {
      await App.api("POST", `/api/competitions/${state.id}/draw`, { reason: form.elements.reason.value });
      notice("抽签完成");
    } catch (error) {
      App.showError(form, error);
      return;
    }
    await refresh();
  }

  // --- print pages -------------------------------------------------------------------------------------------
  async function printCheckin() {
    if (!(await requireOrganizer())) return;
    const sheet = await App.api("GET", `/api/competitions/${Comp.idFromPath()}/checkin`);
    printHeader(sheet.competition, "检录表");
    $("#sheet tbody").innerHTML = sheet.items.map((r, i) => `<tr><td class="num">${i + 1}</td>
      <td class="mono">${App.esc(r.registration_no)}</td><td>${App.esc(r.name)}</td><td>${App.esc(r.employer_name || "")}</td>
      <td class="mono">${App.esc(r.id_number)}</td><td>${r.attendance ? App.esc(Comp.ATTENDANCE_NAMES[r.attendance]) : ""}</td><td class="sign"></td></tr>`).join("");
  }

  async function printStations() {
    if (!(await requireOrganizer())) return;
    const withCodes = new URLSearchParams(location.search).get("codes") === "1";
    const result = await App.api("GET", `/api/competitions/${Comp.idFromPath()}/draw`);
    printHeader(result.competition, withCodes ? "工位号与加密号对照表（密封保存）" : "工位表");
    document.querySelectorAll(".code-col").forEach((el) => { el.hidden = !withCodes; });
    $("#sheet tbody").innerHTML = result.items.map((d) => `<tr><td class="num station">${d.station_no}</td>
      <td>${App.esc(d.name)}</td><td>${App.esc(d.employer_name || "")}</td><td class="mono">${App.esc(d.registration_no)}</td>
      ${withCodes ? `<td class="mono code">${App.esc(d.blind_code)}</td>` : ""}</tr>`).join("")
      || `<tr><td colspan="5" class="muted">尚未抽签</td></tr>`;
  }

  function printHeader(c, what) {
    document.title = `${c.title} · ${what}`;
    $("#title").textContent = `${c.title} · ${what}`;
    $("#meta").textContent = `${c.occupation} · ${c.venue || ""} · 打印时间 ${App.when(new Date().toISOString())}`;
  }

  return { list, manage, printCheckin, printStations };
})();
