// 组织者成绩管理页: live board (SSE), unblinding, publication, corrections, history, arbitration, appeals.
"use strict";

(() => {
  const id = Results.competitionId();
  const api = `/api/competitions/${id}`;
  const $ = (sel) => document.querySelector(sel);
  const STATUS_NAMES = { pending: "待答复", upheld: "申诉成立", dismissed: "驳回" };
  let board = null;

  function message(text, kind = "ok") {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  function stat(label, value, cls = "") {
    return `<div class="stat ${cls}"><div class="muted">${label}</div><div class="value">${value}</div></div>`;
  }

  async function loadBoard() {
    board = await App.api("GET", `${api}/results/live`);
    $("#title").textContent = `${board.title} · 成绩管理`;
    const complete = board.rows.filter((r) => r.complete).length;
    $("#status").innerHTML = [
      stat("评分完成", `${complete}/${board.rows.length}`),
      stat("环节签字确认", `${board.stages_signed_off.length}/${board.stages.length}`, board.all_signed_off ? "ok" : ""),
      stat("解密", board.unblinded_at ? "已解密" : "未解密"),
      stat("已发布", board.published_version ? `第 ${board.published_version} 版` : "未发布"),
      board.changed_since_publication ? stat("成绩变动", "待重新发布", "warn") : "",
    ].join("");
    $("#unblind").disabled = !board.all_signed_off || !!board.unblinded_at;
    $("#unblind").hidden = !!board.unblinded_at;
    $("#publish").disabled = !board.unblinded_at;
    $("#publish").textContent = board.published_version ? "发布更正版本" : "发布成绩";
    $("#reason-box").hidden = !board.published_version;
    const ties = board.unresolved_ties;
    $("#ties").hidden = ties.length === 0;
    $("#ties-box").hidden = ties.length === 0;
    $("#ties").textContent = ties.map((t) => `第 ${t.rank} 名并列且无法按规则区分：${t.blind_codes.join("、")}`).join("；");
    $("#board-note").textContent = board.unblinded_at ? "（已解密）" : "（按加密号，解密前不显示姓名）";
    Results.table($("#board"), board.stages, board.rows, {
      names: !!board.unblinded_at, station: true, progress: true, rounds: board.rounds || [], modules: board.modules || [],
    });
    const teams = board.teams || [], awards = board.organisation_awards || [];
    $("#teams-section").hidden = !teams.length && !awards.length;
    Results.teamTable($("#teams"), teams);
    $("#awards-box").hidden = !awards.length;
    Results.awardList($("#awards"), awards);
  }

  async function loadHistory() {
    const items = await App.api("GET", `${api}/results/publications`);
    if (!items.length) return;
    const stageName = (field) => {
      const stage = board && board.stages.find((s) => `stage:${s.id}` === field);
      return stage ? stage.name : { final_score: "总成绩", rank: "名次", tier: "奖项", disqualified: "取消资格", row: "名单" }[field] || field;
    };
    $("#publications").innerHTML = items.map((p) => `
      <div class="card publication" data-version="${p.version}">
        <strong>第 ${p.version} 版</strong> · ${App.when(p.published_at)} · ${App.esc(p.published_by_name)}
        ${p.reason ? `<div>说明：${App.esc(p.reason)}</div>` : ""}
        ${p.changes.length ? `<ul>${p.changes.map((c) => `<li>${App.esc(c.blind_code)} ${App.esc(c.name)}：${App.esc(stageName(c.field))}
          ${App.esc(c.old ?? "—")} → ${App.esc(c.new ?? "—")}</li>`).join("")}</ul>` : (p.version > 1 ? "<div class=\"muted\">公开成绩无变化</div>" : "")}
        <div class="row no-print"><a href="${api}/results/export.xlsx?version=${p.version}">Excel</a>
          <a href="/organizer/competitions/${id}/results/print?version=${p.version}" target="_blank">打印</a></div>
      </div>`).join("");
  }

  async function loadArbitration() {
    const [members, users, appeals] = await Promise.all([
      App.api("GET", `${api}/arbitration`),
      App.api("GET", "/api/users/").catch(() => []),
      App.api("GET", `${api}/appeals`),
    ]);
    $("#members").innerHTML = members.map((m) => `<li>${App.esc(m.display_name)}（${App.esc(App.ROLE_NAMES[m.role] || m.role)}${m.is_chief_judge ? "，裁判长" : ""}）
      <button type="button" class="ghost" data-remove="${m.user_id}">移除</button></li>`).join("") || '<li class="muted">尚未指定成员</li>';
    const taken = new Set(members.map((m) => m.user_id));
    $("#member").innerHTML = users.filter((u) => u.role !== "contestant" && !taken.has(u.id) && u.active !== false)
      .map((u) => `<option value="${u.id}">${App.esc(u.display_name)}（${App.esc(u.username)}，${App.esc(App.ROLE_NAMES[u.role] || u.role)}）</option>`).join("");
    $("#appeals tbody").innerHTML = appeals.map((a) => `<tr><td>${a.id}</td><td class="code">${App.esc(a.blind_code)}</td>
      <td>${App.esc(a.appellant_name ?? "")}</td><td>${App.esc(a.stage_name ?? "总成绩")}</td><td class="pre">${App.esc(a.grounds)}</td>
      <td>${App.when(a.lodged_at)}</td><td><span class="badge ${a.status === "pending" ? "warn" : "ok"}">${STATUS_NAMES[a.status] || a.status}</span></td>
      <td class="pre">${App.esc(a.answer)}${a.answered_by_name ? `<br><small class="muted">${App.esc(a.answered_by_name)} ${App.when(a.answered_at)}</small>` : ""}</td></tr>`).join("")
      || '<tr><td colspan="8" class="muted">暂无申诉</td></tr>';
  }

  async function loadSheets(code) {
    const sheets = await App.api("GET", `/api/chief/competitions/${id}/sheets?blind_code=${encodeURIComponent(code)}`);
    const stageName = (sid) => (board.stages.find((s) => s.id === String(sid)) || { name: sid }).name;
    $("#sheets").innerHTML = sheets.map((s) => `
      <div class="card sheet"><strong>${App.esc(stageName(s.stage_id))} · ${s.judge_no} 号裁判</strong> <span class="badge">${App.esc(s.status)}</span>
        <table><tbody>${s.marks.map((m) => `<tr><td>${App.esc(m.aspect_id)}</td><td class="num">${App.esc(m.value)}</td>
          <td class="no-print"><button type="button" class="ghost" data-sheet="${s.sheet_id}" data-version="${s.version}"
            data-aspect="${App.esc(m.aspect_id)}" data-value="${App.esc(m.value)}">更正</button></td></tr>`).join("")}</tbody></table></div>`).join("")
      || '<p class="muted">该加密号没有已提交的评分表。</p>';
  }

  $("#sheets").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-sheet]");
    if (!button) return;
    const answer = await App.confirm({
      title: `更正评分项 ${button.dataset.aspect}？`, confirmText: "更正",
      details: [`原分数 ${button.dataset.value}。更正后成绩立即重新计算。`, "更正人、理由和前后分数记入审计日志；成绩已发布的，须再发布更正版本。"],
      inputs: [
        { label: "新分数", required: true, inputmode: "decimal", maxlength: 12 },
        { label: "更正理由", required: true, maxlength: 500 },
      ],
    });
    if (!answer) return;
    const [value, reason] = answer.values;
    try {
      await App.api("POST", "/api/scoring/corrections", {
        sheet_id: Number(button.dataset.sheet), aspect_id: button.dataset.aspect, value, reason,
        base_version: Number(button.dataset.version),
      });
      message("已更正。" + (board.published_version ? "成绩已发布，请填写说明后发布更正版本。" : ""));
      await Promise.all([loadSheets($("#sheet-code").value.trim()), loadBoard()]);
    } catch (error) { message(error.message, "bad"); }
  });

  $("#sheet-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("#sheet-code").value.trim();
    if (code) loadSheets(code).catch((error) => message(error.message, "bad"));
  });

  $("#board").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-code]");
    if (!row) return;
    $("#sheet-code").value = row.dataset.code;
    loadSheets(row.dataset.code).catch((error) => message(error.message, "bad"));
  });

  $("#unblind").addEventListener("click", async () => {
    const ok = await App.confirm({
      title: "解密成绩？", confirmText: "解密",
      details: ["解密后本页按加密号显示选手姓名与工作单位。", "此操作不可撤销，记入审计日志。", "解密后才能发布成绩；公众在发布前看不到姓名。"],
    });
    if (!ok) return;
    try {
      const out = await App.api("POST", `${api}/results/unblind`);
      message(`已解密：${out.contestants} 名选手。`);
      await loadBoard();
    } catch (error) { message(error.message, "bad"); }
  });

  $("#publish-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    App.clearErrors(form);
    const body = {
      previous_version: board.published_version || 0,
      reason: $("#reason").value.trim(),
      accept_unresolved_ties: $("#accept-ties").checked,
    };
    const next = (board.published_version || 0) + 1;
    const ok = await App.confirm({
      title: board.published_version ? `发布第 ${next} 版更正成绩？` : "发布成绩？",
      confirmText: board.published_version ? `发布第 ${next} 版` : "发布成绩",
      details: [
        "公开成绩页、大屏和公开成绩文件立即显示选手姓名、工作单位、成绩、名次和奖项。",
        "已发布的版本不能撤回，只能发布更正版本；每个版本都保留可查。",
        ...(board.published_version ? [] : ["发布后开始计算申诉时限。"]),
      ],
    });
    if (!ok) return;
    try {
      const out = await App.api("POST", `${api}/results/publish`, body);
      $("#reason").value = "";
      message(`已发布第 ${out.version} 版成绩，公开成绩页已同步更新。`);
      await Promise.all([loadBoard(), loadHistory()]);
    } catch (error) {
      App.showError(form, error);
      if (error.code === "stale_version") await loadBoard();
    }
  });

  $("#member-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const userId = Number($("#member").value);
    if (!userId) return;
    try {
      await App.api("POST", `${api}/arbitration`, { user_id: userId });
      App.clearErrors(form);
      await loadArbitration();
    } catch (error) { App.showError(form, error); }
  });

  $("#members").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    const ok = await App.confirm({
      title: "移出监督仲裁组？", confirmText: "移出", tone: "normal",
      details: ["该成员不能再答复本竞赛的申诉；已作出的答复保留。", "操作记入审计日志。"],
    });
    if (!ok) return;
    try {
      await App.api("DELETE", `${api}/arbitration/${button.dataset.remove}`);
      await loadArbitration();
    } catch (error) { message(error.message, "bad"); }
  });

  $("#export-xlsx").href = `${api}/results/export.xlsx`;
  $("#export-csv").href = `${api}/results/export.csv`;
  $("#print").href = `/organizer/competitions/${id}/results/print`;
  $("#public").href = `/results/${id}`;
  $("#bigscreen").href = `/bigscreen/${id}`;
  $("#teams-page").href = `/organizer/competitions/${id}/teams`;
  $("#promotions-page").href = `/organizer/competitions/${id}/results/promotions`;
  $("#appeal-page").href = `/results/${id}/appeal`;

  const refresh = Results.throttle(() => loadBoard().catch((error) => message(error.message, "bad")), 800);
  App.header().then(async () => {
    await loadBoard();  // anonymous: the API's 401 sends the visitor to the log-in page
    if ((board.rounds || []).length) {
      $("#rounds-section").hidden = false;
      await Rounds.render($("#rounds"), api, { canClose: board.view === "organizer", onClosed: refresh, say: message });
    }
    if (board.view === "chief_judge") {
      // The chief judge watches the board by blind code; publication, history and appeals are organizers'.
      for (const sel of ["#unblind", "#publish-form", "#history", "#arbitration", "#files", "nav.tabs"]) $(sel).hidden = true;
    } else {
      await Promise.all([loadHistory(), loadArbitration()]);
    }
    Results.stream(`${api}/results/events`, {
      marks: refresh, unblinded: refresh,
      published: () => { refresh(); loadHistory(); }, corrected: () => { refresh(); loadHistory(); },
    }, (up) => $("#live").classList.toggle("on", up));
  }).catch((error) => message(error.message, "bad"));
})();
