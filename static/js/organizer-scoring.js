// 组织者评分设置页: the rubric (RubricBuilder), the judging panel with modules chosen by name, declared
// conflicts, and the theory marks' import.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const competitionId = Number(new URLSearchParams(location.search).get("competition"));
  const base = `/api/competitions/${competitionId}`;
  let competition = null;
  let scheme = null;
  let panel = null;
  let builder = null;

  function message(kind, text) {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
    if (text) App.reveal(box);
  }

  // --- the rubric -----------------------------------------------------------------------------------------------
  async function fetchScheme() {
    try {
      scheme = await App.api("GET", `${base}/scoring`);
    } catch (error) {
      if (error.status !== 404) throw error;
      scheme = null;
    }
  }

  async function loadScheme() {
    await fetchScheme();
    mountBuilder();
  }

  function mountBuilder() {
    $("#scheme-state").textContent = !scheme
      ? "尚未设置评分标准。可从下面的模板开始，再按本赛项的评分细则修改；保存后裁判即可看到。"
      : scheme.frozen_at
        ? `评分已于 ${App.when(scheme.frozen_at)} 开始，评分标准已锁定，只能查看。`
        : `已保存（第 ${scheme.version} 版）。评分开始前可以修改；第一条评分录入后自动锁定。`;
    if (scheme) {
      $("#tolerance").value = scheme.tolerance;
      $("#appeal").value = scheme.appeal_window_hours;
    }
    const frozen = Boolean(scheme && scheme.frozen_at);
    $("#scheme").hidden = frozen;
    builder = RubricBuilder.mount($("#builder"), {
      stages: competition.stages.map((s) => ({ id: String(s.id), name: s.name, kind: s.kind, weight_percent: s.weight_percent })),
      rules: scheme ? scheme.rules : null,
      readOnly: frozen,
      judges: panel && panel.judges.length >= 3 ? panel.judges.length : 5,
    });
    renderModuleChoices();
    renderImports();
  }

  $("#scheme").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    App.clearErrors(form);
    const button = $("#save-scheme");
    button.disabled = true;
    try {
      scheme = await App.api("PUT", `${base}/scoring`, {
        rules: builder.rules(), tolerance: $("#tolerance").value.trim() || "1",
        appeal_window_hours: Number($("#appeal").value || 2), version: scheme ? scheme.version : null,
      });
      await loadScheme();
      await loadPanel();
      message("ok", `评分标准已保存（第 ${scheme.version} 版）。`);
    } catch (error) {
      // The rules' problems, or one field the server could not read (a number where it takes an integer):
      // either way shown next to the builder's field.
      const named = error.field && error.field.startsWith("rules.") ? [{ path: error.field, message: error.message }] : [];
      const problems = (error.body.detail && error.body.detail.problems) || named;
      if (problems.length) builder.showProblems(problems, "rules.");
      if (error.field && !error.field.startsWith("rules.")) App.showError(form, error);
      message("bad", problems.length ? `未保存：评分标准有 ${problems.length} 处问题，已在上面标出。` : `未保存：${error.message}`);
    } finally {
      button.disabled = false;
    }
  });

  // --- the panel ----------------------------------------------------------------------------------------------
  function moduleNames() {
    const names = new Map();
    for (const stage of (scheme ? scheme.rules.stages : [])) {
      for (const m of stage.modules) names.set(m.id, `${m.name || m.id}（${stage.name}）`);
    }
    return names;
  }

  function renderModuleChoices() {
    const names = moduleNames();
    $("#module-choices").innerHTML = [...names].map(([id, name]) =>
      `<label class="check"><input type="checkbox" value="${App.esc(id)}"> ${App.esc(name)}</label>`).join("")
      || '<p class="muted">保存评分标准后可按模块分工。</p>';
  }

  async function loadPanel() {
    panel = await App.api("GET", `${base}/judges`);
    const names = moduleNames();
    $("#judges tbody").innerHTML = panel.judges.map((j) => `
      <tr><td>${j.judge_no}</td><td>${App.esc(j.display_name)}${j.is_chief ? ' <span class="badge ok">裁判长</span>' : ""}</td>
      <td>${j.module_ids ? App.esc(j.module_ids.map((m) => names.get(m) || m).join("、")) : "全部"}</td>
      <td>${j.recusals.map((r) => `${App.esc(r.registration_no)}（${r.kind === "employer" ? "同单位" : App.esc(r.reason)}）`).join("<br>") || "—"}</td>
      <td>${j.active_links ? `有效 ${j.active_links} 个 <button type="button" class="ghost small revoke" data-judge="${j.user_id}" data-name="${App.esc(j.display_name)}">撤销</button>` : "—"}</td>
      <td><button type="button" class="ghost small modules" data-judge="${j.user_id}" data-name="${App.esc(j.display_name)}">调整模块</button>
        <button type="button" class="ghost small remove" data-judge="${j.user_id}" data-name="${App.esc(j.display_name)}">移出</button></td></tr>`).join("")
      || '<tr><td colspan="6" class="muted">尚未聘任裁判</td></tr>';
    renderPanelState();
    const options = panel.judges.map((j) => `<option value="${j.user_id}">${j.judge_no} 号 ${App.esc(j.display_name)}</option>`).join("");
    $("#conflict-judge").innerHTML = options;
    $("#absence-judge").innerHTML = options;
    renderAbsences();
    const users = (await App.api("GET", "/api/users/?role=judge")).filter((u) => u.active);
    const on = new Set(panel.judges.map((j) => j.user_id));
    $("#judge-choices").innerHTML = users.map((u) => `
      <label class="check"><input type="checkbox" value="${u.id}" ${on.has(u.id) ? "checked" : ""}> ${App.esc(u.display_name)}（${App.esc(u.username)}）</label>`).join("");
    $("#chief").innerHTML = `<option value="">（不变）</option>` + users.map((u) => `<option value="${u.id}">${App.esc(u.display_name)}</option>`).join("");
  }

  // What the panel still lacks, aspect by aspect: allowed while it is set up, needed before the first mark.
  function renderPanelState() {
    const aspects = new Map();
    for (const stage of (scheme ? scheme.rules.stages : [])) {
      for (const m of stage.modules) for (const a of m.aspects) aspects.set(a.id, a.name || a.id);
    }
    $("#panel-state").textContent = !scheme ? "保存评分标准后显示裁判组是否齐备。"
      : panel.ready ? "裁判组已齐备，可以开始评分。"
        : "裁判组尚未齐备：可以逐个添加裁判，但第一条评分录入前须补齐下列评分项的裁判。";
    const missing = $("#panel-missing");
    missing.hidden = !panel.missing.length;
    missing.innerHTML = panel.missing.length ? `<b>仍缺裁判</b><ul>${panel.missing.map((m) =>
      `<li data-aspect="${App.esc(m.aspect_id)}">评分项“${App.esc(aspects.get(m.aspect_id) || m.aspect_id)}”：已有 ${m.have} 名裁判，需要 ${m.need} 名</li>`).join("")}</ul>` : "";
    const others = panel.problems.filter((p) => !["no_judges", "too_few_judges", "trim_drops_all", "too_few_for_min_marks"].includes(p.code));
    const box = $("#panel-problems");
    box.hidden = !others.length;
    box.innerHTML = others.map((p) => App.esc(p.message)).join("<br>");
  }

  function stageName(id) {
    const stage = competition.stages.find((s) => String(s.id) === String(id));
    return stage ? stage.name : String(id);
  }

  function renderAbsences() {
    $("#absence-stage").innerHTML = `<option value="">全部环节</option>` + competition.stages.map((s) => `<option value="${s.id}">${App.esc(s.name)}</option>`).join("");
    const table = $("#absences");
    table.hidden = !panel.absences.length;
    table.querySelector("tbody").innerHTML = panel.absences.map((a) => `<tr>
      <td>${a.judge_no}</td><td>${a.blind_code ? `${App.esc(a.blind_code)}（${a.station_no} 号工位）` : "全部选手"}</td>
      <td>${a.stage_id ? App.esc(stageName(a.stage_id)) : "全部环节"}</td><td>${App.esc(a.reason)}</td>
      <td><button type="button" class="ghost small withdraw-absence" data-absence="${a.id}">撤销</button></td></tr>`).join("");
  }

  $("#absence").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("#absence-no").value.trim();
    const stage = Number($("#absence-stage").value) || null;
    try {
      panel = await App.api("POST", `${base}/judges/${$("#absence-judge").value}/absences`, {
        registration_no: number || null, stage_id: stage, reason: $("#absence-reason").value.trim(),
      });
      message("ok", "缺席已登记。");
      await loadPanel();
    } catch (error) {
      message("bad", error.message);
    }
  });

  $("#absences").addEventListener("click", async (event) => {
    const button = event.target.closest("button.withdraw-absence");
    if (!button) return;
    const ok = await App.confirm({ title: "撤销这条缺席记录？", confirmText: "撤销", details: ["撤销后该裁判重新计入应评分的裁判；操作记入审计日志。"] });
    if (!ok) return;
    try {
      await App.api("DELETE", `${base}/absences/${button.dataset.absence}`);
      message("ok", "缺席记录已撤销。");
      await loadPanel();
    } catch (error) {
      message("bad", error.message);
    }
  });

  // One judge's modules, edited alone (a panel split by module is built judge by judge).
  let editing = null;
  function openModuleEdit(judge) {
    editing = judge;
    const names = moduleNames();
    const mine = new Set(judge.module_ids || []);
    $("#module-edit-title").textContent = `调整 ${judge.judge_no} 号裁判 ${judge.display_name} 的评分模块`;
    $("#module-edit-choices").innerHTML = [...names].map(([id, name]) =>
      `<label class="check"><input type="checkbox" value="${App.esc(id)}" ${mine.has(id) ? "checked" : ""}> ${App.esc(name)}</label>`).join("")
      || '<p class="muted">保存评分标准后可按模块分工。</p>';
    $("#module-edit").hidden = false;
    App.reveal($("#module-edit"));
  }

  $("#module-edit-cancel").addEventListener("click", () => { $("#module-edit").hidden = true; editing = null; });

  $("#module-edit").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editing) return;
    const modules = [...document.querySelectorAll("#module-edit-choices input:checked")].map((i) => i.value);
    try {
      await App.api("POST", `${base}/judges`, { judges: [{ user_id: editing.user_id, is_chief: editing.is_chief, module_ids: modules.length ? modules : null }] });
      message("ok", `${editing.display_name} 的评分模块已更新。`);
      $("#module-edit").hidden = true;
      editing = null;
      await loadPanel();
    } catch (error) {
      message("bad", error.message);
    }
  });

  $("#add-judges").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chief = Number($("#chief").value) || null;
    const modules = [...document.querySelectorAll("#module-choices input:checked")].map((i) => i.value);
    const chosen = [...document.querySelectorAll("#judge-choices input:checked")].map((i) => Number(i.value));
    const existing = new Map(panel.judges.map((j) => [j.user_id, j]));
    const judges = chosen.map((id) => ({
      user_id: id,
      is_chief: chief ? id === chief : Boolean(existing.get(id) && existing.get(id).is_chief),
      module_ids: existing.has(id) ? existing.get(id).module_ids : modules.length ? modules : null,
    }));
    if (!judges.length) return message("bad", "请选择裁判。");
    try {
      await App.api("POST", `${base}/judges`, { judges });
      message("ok", "裁判组已更新。");
      await loadPanel();
    } catch (error) {
      const list = (error.body.detail && error.body.detail.problems) || [];
      message("bad", [error.message, ...list.slice(1).map((p) => p.message)].join("；"));
    }
  });

  $("#judges").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-judge]");
    if (!button) return;
    if (button.classList.contains("modules")) {
      openModuleEdit(panel.judges.find((j) => String(j.user_id) === button.dataset.judge));
      return;
    }
    const removing = button.classList.contains("remove");
    const ok = await App.confirm(removing
      ? {
        title: `将 ${button.dataset.name} 移出裁判组？`, confirmText: "移出裁判组",
        details: ["只有还没有评分的裁判可以移出；其余裁判的裁判号不变。", "该裁判的登录链接随之失效；操作记入审计日志。"],
      }
      : {
        title: `撤销 ${button.dataset.name} 的登录链接？`, confirmText: "撤销链接",
        details: ["尚未使用的二维码作废，已用它登录的平板随即退出。", "需要时可重新生成二维码。"],
      });
    if (!ok) return;
    try {
      if (removing) {
        await App.api("DELETE", `${base}/judges/${button.dataset.judge}`);
        message("ok", `已将 ${button.dataset.name} 移出裁判组。`);
      } else {
        await App.api("POST", `${base}/judges/${button.dataset.judge}/link/revoke`);
        message("ok", "已撤销该裁判的登录链接，已登录的平板随即退出。");
      }
      await loadPanel();
    } catch (error) {
      message("bad", error.message);
    }
  });

  $("#refresh-recusals").addEventListener("click", async () => {
    await App.api("POST", `${base}/recusals/refresh`);
    await loadPanel();
    message("ok", "已按工作单位刷新回避。");
  });

  $("#conflict").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await App.api("POST", `${base}/judges/${$("#conflict-judge").value}/conflicts`,
        { registration_no: $("#conflict-no").value.trim(), reason: $("#conflict-reason").value.trim() });
      message("ok", "回避已登记。");
      await loadPanel();
    } catch (error) {
      message("bad", error.message);
    }
  });

  // --- imported marks -----------------------------------------------------------------------------------------
  function renderImports() {
    const imported = scheme ? scheme.rules.stages.filter((s) => s.kind === "imported") : [];
    $("#imports").hidden = imported.length === 0;
    $("#import-stages").innerHTML = imported.map((s) => `
      <form class="import row" data-stage="${App.esc(s.id)}"><b>${App.esc(s.name)}</b>
        <input type="file" name="file" accept=".xlsx,.csv" required class="spacer" aria-label="${App.esc(s.name)}成绩表"><button type="submit">导入</button></form>`).join("")
      + (imported.length ? `<p class="small">成绩表为 .xlsx 或 .csv，每个文件最多 5000 行、5 MB。</p>` : "");
  }

  $("#import-stages").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target.closest("form.import");
    const body = new FormData();
    body.append("data", form.file.files[0]);
    const table = $("#import-errors");
    table.hidden = true;
    try {
      const result = await App.api("POST", `${base}/stages/${form.dataset.stage}/imported-marks`, body);
      message("ok", `已导入 ${result.imported} 名选手的成绩（其中 ${result.changed} 条有变化）。`);
    } catch (error) {
      message("bad", error.message);
      const errors = (error.body.detail && error.body.detail.errors) || [];
      table.querySelector("tbody").innerHTML = errors.map((e) => `<tr><td>${e.row}</td><td>${App.esc(e.column)}</td><td>${App.esc(e.message)}</td></tr>`).join("");
      table.hidden = errors.length === 0;
    }
  });

  (async () => {
    const me = await App.header();
    if (!me || me.role !== "organizer") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    $("#back").href = `/organizer/competitions/${competitionId}`;
    $("#to-chief").href = `/judge/chief?competition=${competitionId}`;
    $("#to-links").href = `/organizer/scoring/links?competition=${competitionId}`;
    try {
      const admin = await App.api("GET", `/api/organizer/competitions/${competitionId}`);
      competition = admin.competition;
      $("#title").textContent = `${competition.title} · 评分设置`;
      document.title = `${competition.title} · 评分设置`;
      await fetchScheme();
      await loadPanel();
      mountBuilder();
      document.body.dataset.ready = "1";
    } catch (error) {
      message("bad", error.message);
    }
  })();
})();
