// 裁判长工作台: progress per judge and stage, flagged aspects (accept with a reason), stage sign-off,
// disqualification, time used, corrections. Contestants appear by station and blind code only.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const competitionId = Number(new URLSearchParams(location.search).get("competition")) || null;
  const FLAG = { open: ["待处理", "bad"], accepted: ["已确认", "ok"] };
  const SHEET = { not_started: "未开始", draft: "草稿", submitted: "已提交", signed: "已签字" };
  let me = null;
  let data = null;

  function showMessage(kind, html) {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.innerHTML = html;
    box.hidden = !html;
  }
  const stageName = (id) => (data.stages.find((s) => s.stage_id === id) || {}).name || id;

  // 补发登录二维码: one button per judge of the panel (chief judge and organizers).
  function renderReissue() {
    const judges = new Map();
    data.stages.forEach((stage) => stage.judges.forEach((j) => judges.set(j.judge_user_id, j)));
    const may = data.is_chief || me.role === "organizer";
    $("#reissue").innerHTML = may ? [...judges.values()].sort((a, b) => a.judge_no - b.judge_no).map((j) =>
      `<button type="button" class="ghost" data-reissue="${j.judge_user_id}" data-label="${j.judge_no} 号裁判 ${App.esc(j.display_name)}">
        ${j.judge_no} 号 ${App.esc(j.display_name)}</button>`).join("") : "";
  }

  $("#reissue").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-reissue]");
    if (!button) return;
    const ok = await App.confirm({
      title: `为${button.dataset.label}补发登录二维码？`, confirmText: "补发二维码", tone: "normal",
      details: ["该裁判尚未使用的旧二维码立即作废，不能再登录。", "已登录的平板不受影响；新二维码仅限使用一次，当天有效。", "补发记入审计日志。"],
    });
    if (!ok) return;
    try {
      const link = await App.api("POST", `/api/chief/competitions/${competitionId}/judges/${button.dataset.reissue}/link`);
      $("#reissued-judge").textContent = `${button.dataset.label}：请用平板扫描`;
      $("#reissued-qr").innerHTML = link.qr_svg; // made by the server (segno): sized, without a viewBox
      const svg = $("#reissued-qr svg");
      if (svg && !svg.getAttribute("viewBox")) {
        svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`); // so CSS scales it
      }
      $("#reissued-expiry").textContent = `仅限使用一次，有效期至 ${App.when(link.expires_at)}`;
      $("#reissued").hidden = false;
      App.reveal($("#reissued"));
    } catch (error) { showMessage("bad", error.message); }
  });

  function renderStages() {
    $("#stages").innerHTML = data.stages.map((stage) => {
      const signed = stage.signed_off_at
        ? `<span class="badge ok">已签字确认 ${App.when(stage.signed_off_at)}</span>`
        : `<span class="badge warn">未签字确认</span>`;
      const body = stage.kind === "imported"
        ? `<p class="muted">导入成绩：已导入 ${stage.imported}/${stage.contestants} 名选手。</p>`
        : `<div class="table-wrap"><table class="chief-progress">
            <thead><tr><th>裁判</th><th class="num">应评</th><th class="num">未开始</th><th class="num">草稿</th>
              <th class="num">已提交</th><th class="num">已签字</th></tr></thead>
            <tbody>${stage.judges.map((j) => `
              <tr class="${j.signed === j.expected ? "done" : ""}"><td>${j.judge_no} 号 ${App.esc(j.display_name)}${j.is_chief ? "（裁判长）" : ""}</td>
              <td class="num">${j.expected}</td><td class="num">${j.not_started}</td><td class="num">${j.draft}</td>
              <td class="num">${j.submitted}</td><td class="num">${j.signed}</td></tr>`).join("")}</tbody></table></div>
           <p>超差待处理：<b>${stage.open_flags}</b> 项</p>`;
      const action = data.is_chief && !stage.signed_off_at
        ? `<button type="button" class="signoff" data-stage="${stage.stage_id}" data-name="${App.esc(stage.name)}">签字确认本环节</button>` : "";
      return `<div class="card" data-stage-card="${stage.stage_id}"><div class="row"><h3 class="spacer">${App.esc(stage.name)}</h3>${signed}</div>
        ${body}<div class="row">${action}</div></div>`;
    }).join("") || `<p class="muted">尚未设置评分标准。</p>`;
  }

  function renderFlags() {
    const open = data.flags.filter((f) => f.status === "open").length;
    $("#flag-count").textContent = String(open);
    $("#flag-count").className = `badge ${open ? "bad" : "ok"}`;
    $("#no-flags").hidden = data.flags.length > 0;
    $("#flags tbody").innerHTML = data.flags.map((flag) => {
      const [label, tone] = FLAG[flag.status] || [flag.status, ""];
      const marks = flag.marks.map((m) => `${m.judge_no}号：${App.esc(m.value)}`).join("，");
      const action = flag.status === "open" && data.is_chief
        ? `<form class="accept row" data-flag="${flag.id}"><input name="reason" required maxlength="500" placeholder="确认理由">
             <button type="submit">确认</button></form>`
        : App.esc(flag.reason);
      return `<tr data-flag-row="${flag.id}"><td>${App.esc(stageName(flag.stage_id))}</td><td>${flag.station_no}</td>
        <td class="judge-code">${App.esc(flag.blind_code)}</td><td>${App.esc(flag.aspect_name || flag.aspect_id)}</td>
        <td>${marks}</td><td class="num">${App.esc(flag.spread)}</td><td><span class="badge ${tone}">${label}</span></td><td>${action}</td></tr>`;
    }).join("");
  }

  function renderAbsences() {
    const absences = data.absences || [];
    $("#absences-section").hidden = !absences.length;
    const stageName = (id) => { const s = data.stages.find((x) => String(x.stage_id ?? x.id) === String(id)); return s ? s.name : String(id); };
    $("#absences tbody").innerHTML = absences.map((a) => `<tr><td>${a.judge_no}</td>
      <td>${a.blind_code ? `${App.esc(a.blind_code)}（${a.station_no} 号工位）` : "全部选手"}</td>
      <td>${a.stage_id ? App.esc(stageName(a.stage_id)) : "全部环节"}</td><td>${App.esc(a.reason)}</td></tr>`).join("");
  }

  function renderContestants() {
    $("#contestants tbody").innerHTML = data.contestants.map((c) => {
      const status = c.disqualified
        ? `<span class="badge bad">取消资格</span> ${App.esc(c.reason)}` : `<span class="badge ok">正常</span>`;
      const disqualify = data.is_chief
        ? `<button type="button" class="secondary small dq" data-code="${App.esc(c.blind_code)}" data-dq="${!c.disqualified}">
             ${c.disqualified ? "恢复资格" : "取消资格"}</button>` : "";
      return `<tr><td>${c.station_no}</td><td class="judge-code">${App.esc(c.blind_code)}</td><td>${status}</td>
        <td><form class="time row" data-code="${App.esc(c.blind_code)}"><input name="seconds" type="number" min="0" step="0.1"
          value="${c.time_used_seconds ?? ""}" style="max-width: 9rem"><button type="submit" class="ghost small">保存</button></form></td>
        <td>${disqualify}</td></tr>`;
    }).join("");
  }

  async function load() {
    try {
      data = await App.api("GET", `/api/chief/competitions/${competitionId}`);
    } catch (error) {
      showMessage("bad", App.esc(error.message));
      return;
    }
    $("#title").textContent = `${data.title} · 裁判长工作台`;
    renderStages();
    renderReissue();
    renderFlags();
    renderContestants();
    renderAbsences();
  }

  $("#stages").addEventListener("click", async (event) => {
    const button = event.target.closest(".signoff");
    if (!button) return;
    const ok = await App.confirm({
      title: `签字确认“${button.dataset.name || "本环节"}”？`, confirmText: "签字确认",
      details: ["本环节所有评分表锁定，裁判不能再修改。", "此后只能由裁判长或组织者说明理由后更正（记入审计日志）。", "所有环节签字确认后，组织者方可解密和发布成绩。"],
    });
    if (!ok) return;
    try {
      await App.api("POST", `/api/chief/competitions/${competitionId}/stages/${button.dataset.stage}/signoff`);
      showMessage("ok", "已签字确认。");
      await load();
    } catch (error) {
      const detail = (error.body && error.body.detail) || {};
      const items = [
        ...(detail.open_flags || []).map((f) => `超差：工位 ${f.station_no}（${App.esc(f.blind_code)}）评分项 ${App.esc(f.aspect_id)}，差 ${App.esc(f.spread)} 分`),
        ...(detail.unsigned_sheets || []).map((s) => `${s.judge_no} 号裁判 · 工位 ${s.station_no}（${App.esc(s.blind_code)}）：${SHEET[s.status] || s.status}`),
        ...(detail.missing_imported || []).map((s) => `工位 ${s.station_no}（${App.esc(s.blind_code)}）：缺少导入成绩`),
      ];
      showMessage("bad", `${App.esc(error.message)}${items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul>` : ""}`);
    }
  });

  $("#flags").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target.closest("form.accept");
    const reason = form.reason.value.trim();
    if (!reason) return showMessage("bad", "请填写确认理由。");
    const ok = await App.confirm({
      title: "确认该超差评分项？", confirmText: "确认超差", tone: "normal",
      details: ["各裁判的评分保持不变并计入成绩，不能撤销。", "已签字的评分表仍然有效，裁判无需重新签字；尚未签字的评分表仍需裁判签字。", "确认理由记入审计日志。"],
    });
    if (!ok) return;
    try {
      await App.api("POST", `/api/chief/flags/${form.dataset.flag}/accept`, { reason });
      showMessage("ok", "已确认。");
      await load();
    } catch (error) {
      showMessage("bad", App.esc(error.message));
    }
  });

  $("#contestants").addEventListener("click", async (event) => {
    const button = event.target.closest(".dq");
    if (!button) return;
    const disqualified = button.dataset.dq === "true";
    const answer = await App.confirm(disqualified
      ? {
        title: `取消 ${button.dataset.code} 的比赛资格？`, confirmText: "取消资格",
        details: ["该选手保留已有评分，但不排名、不获奖，公开成绩显示“取消资格”。", "理由将记入审计日志。"],
        input: { label: "取消资格的理由", required: true, maxlength: 500 },
      }
      : {
        title: `恢复 ${button.dataset.code} 的比赛资格？`, confirmText: "恢复资格", tone: "normal",
        details: ["该选手重新参加排名和评奖。", "理由将记入审计日志。"],
        input: { label: "恢复资格的理由", required: true, maxlength: 500 },
      });
    if (!answer) return;
    try {
      await App.api("POST", `/api/chief/competitions/${competitionId}/disqualifications`,
        { blind_code: button.dataset.code, reason: answer.value, disqualified });
      await load();
    } catch (error) {
      showMessage("bad", App.esc(error.message));
    }
  });

  $("#contestants").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target.closest("form.time");
    const text = form.seconds.value.trim();
    try {
      await App.api("PUT", `/api/chief/competitions/${competitionId}/time-used`,
        { blind_code: form.dataset.code, seconds: text === "" ? null : text });
      showMessage("ok", "用时已保存。");
    } catch (error) {
      showMessage("bad", App.esc(error.message));
    }
  });

  $("#find-sheets").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("#find-code").value.trim();
    try {
      const sheets = await App.api("GET", `/api/chief/competitions/${competitionId}/sheets?blind_code=${encodeURIComponent(code)}`);
      $("#sheets").innerHTML = sheets.map((sheet) => `
        <div class="card"><div class="row"><b class="spacer">${App.esc(stageName(sheet.stage_id))} · ${sheet.judge_no} 号裁判 ·
          工位 ${sheet.station_no}（${App.esc(sheet.blind_code)}）</b><span class="badge">${SHEET[sheet.status] || sheet.status}</span></div>
          <p>${sheet.marks.map((m) => `${App.esc(m.aspect_id)}：<b>${App.esc(m.value)}</b>`).join("　")}</p>
          ${sheet.status === "draft" ? "" : `<form class="correct row" data-sheet="${sheet.sheet_id}" data-version="${sheet.version}">
            <select name="aspect_id">${sheet.marks.map((m) => `<option>${App.esc(m.aspect_id)}</option>`).join("")}</select>
            <input name="value" inputmode="decimal" placeholder="更正后分数" required style="max-width: 9rem">
            <input name="reason" placeholder="更正理由（必填）" required maxlength="500" class="spacer">
            <button type="submit">更正</button></form>`}</div>`).join("") || `<p class="muted">没有评分表。</p>`;
    } catch (error) {
      showMessage("bad", App.esc(error.message));
    }
  });

  $("#sheets").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target.closest("form.correct");
    const ok = await App.confirm({
      title: `将 ${form.aspect_id.value} 更正为 ${form.value.value.trim()}？`, confirmText: "更正评分", tone: "normal",
      details: ["原分与新分、更正人和理由记入审计日志，不能删除。", "成绩已发布的，更正后须由组织者发布新版本。"],
    });
    if (!ok) return;
    try {
      await App.api("POST", "/api/scoring/corrections", {
        sheet_id: Number(form.dataset.sheet), aspect_id: form.aspect_id.value, value: form.value.value.trim(),
        reason: form.reason.value.trim(), base_version: Number(form.dataset.version),
      });
      showMessage("ok", "已更正，并记入审计日志。");
      $("#find-sheets").requestSubmit();
      await load();
    } catch (error) {
      showMessage("bad", App.esc(error.message));
    }
  });

  $("#refresh").addEventListener("click", load);

  async function start() {
    me = await App.header();
    if (!me) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (me.role === "judge") Tablet.guardLogout(() => ({ title: "确定退出登录？", text: Tablet.LINK_SPENT }));
    if (!competitionId) return showMessage("bad", "缺少竞赛编号。");
    $("#to-tablet").href = `/judge?competition=${competitionId}`;
    $("#to-tablet").hidden = me.role !== "judge";
    // New log-in links are the organizer's to issue (scoring's link API); the chief judge is told whom to ask.
    $("#relogin-links").href = `/organizer/scoring/links?competition=${competitionId}`;
    $("#relogin-links").hidden = me.role !== "organizer";
    await load();
    setInterval(load, 30000);
  }

  start();
})();
