// 组织者：专家评审组、评审进度、建议名单及其结构比例说明、公示、异议处理、表彰。
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const programmeId = Number(location.pathname.split("/")[3]);
  const ATTRIBUTES = { front_line: "一线", enterprise_leader: "企业负责人", female: "女性", industrial_worker: "产业工人", union_member: "会员" };
  const STATUS = { pending: ["待处理", "warn"], upheld: ["异议成立", "bad"], dismissed: ["已驳回", "ok"] };
  let programme = null;

  function pageNotice(kind, text) {
    const box = $("#page-notice");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  async function loadProgramme() {
    programme = await App.api("GET", `/api/programmes/${programmeId}`);
    $("#title").textContent = `评审与建议名单：${programme.name}`;
    const constraints = programme.constraints.map((c) => c.text).join("，") || "无结构比例";
    $("#facts").textContent = `${programme.state_name} · 表彰名额 ${programme.total_awards} 人 · ${constraints}`;
  }

  // --- panel and progress --------------------------------------------------------------------------------
  async function loadPanel() {
    const [panel, progress, users] = await Promise.all([
      App.api("GET", `/api/programmes/${programmeId}/reviewers`),
      App.api("GET", `/api/programmes/${programmeId}/review-progress`),
      App.api("GET", "/api/users/").catch(() => []),
    ]);
    const editable = ["draft", "open", "eligibility_review", "expert_review"].includes(programme.state);
    $("#panel tbody").innerHTML = panel.reviewers.map((r) => `
      <tr><td class="num">${r.reviewer_no}</td><td>${App.esc(r.display_name)} <span class="muted small">${App.esc(r.username)}</span></td>
      <td>${App.esc(r.employer_name || "—")}</td><td class="num">${r.to_review}</td><td class="num">${r.recused}</td>
      <td class="num">${r.submitted}</td><td class="num">${r.drafts}</td>
      <td class="actions">${editable && !r.submitted && !r.drafts ? `<button type="button" class="ghost small" data-remove="${r.user_id}">移出</button>` : ""}</td></tr>`).join("")
      || `<tr><td colspan="8" class="muted">尚未聘请评审专家</td></tr>`;
    $("#panel-problems").innerHTML = panel.panel_problems.map((p) => `<li>${App.esc(p.message)}</li>`).join("");
    const on = new Set(panel.reviewers.map((r) => r.user_id));
    const experts = users.filter((u) => u.role === "expert" && u.active !== false && !on.has(u.id));
    $("#expert").innerHTML = experts.map((u) => `<option value="${u.id}">${App.esc(u.display_name)}（${App.esc(u.username)}）</option>`).join("");
    $("#add-reviewer").hidden = !editable || !experts.length;
    $("#progress").innerHTML = [
      ["需评审", progress.nominations], ["直接推荐", progress.direct], ["评审完成", progress.complete],
      ["未完成", progress.incomplete], ["无可评专家", progress.unreviewable],
    ].map(([label, value]) => `<div class="stat"><div class="muted small">${label}</div><div class="value">${value}</div></div>`).join("");
    $("#missing").innerHTML = progress.missing.slice(0, 20).map((m) =>
      `<li>${App.esc(m.name)}：${m.missing_reviewers.length ? `${m.missing_reviewers.join("、")} 号专家未提交` : "所有专家均需回避"}</li>`).join("");
  }

  $("#add-reviewer").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await App.api("POST", `/api/programmes/${programmeId}/reviewers`, { expert_ids: [Number($("#expert").value)] });
      await loadPanel();
    } catch (error) { pageNotice("bad", error.message); }
  });
  $("#panel").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    const ok = await App.confirm({
      title: "将该专家移出评审组？", confirmText: "移出", tone: "normal",
      details: ["该专家不再评审本评选的推荐；其余专家的编号不变。", "操作记入审计日志。"],
    });
    if (!ok) return;
    try {
      await App.api("DELETE", `/api/programmes/${programmeId}/reviewers/${button.dataset.remove}`);
      await loadPanel();
    } catch (error) { pageNotice("bad", error.message); }
  });

  // --- the shortlist report ------------------------------------------------------------------------------
  const attrs = (list) => list.filter((a) => a !== "union_member").map((a) => ATTRIBUTES[a] || a).join("、");
  const names = (list) => list.map(App.esc).join("、") || "无";

  function renderReport(report) {
    $("#report").hidden = false;
    const state = report.feasible
      ? `共 ${report.selected.length} 人，总分 ${report.total_score ?? "—"}（候选 ${report.candidates} 人）`
      : "无法形成同时满足名额与全部结构比例的名单";
    $("#report-summary").innerHTML = `<span class="badge ${report.feasible ? "ok" : "bad"}">${report.feasible ? "已形成建议名单" : "无法形成"}</span> ${App.esc(state)}`;
    $("#shortfalls").innerHTML = (report.shortfalls.length
      ? `<div class="notice bad" id="shortfall-list"><b>不能满足的要求</b><ul>${report.shortfalls.map((s) => `<li>${App.esc(s.message)}</li>`).join("")}</ul></div>`
      : "") + waysOutHtml(report);
    $("#selected tbody").innerHTML = report.selected.map((e, i) => `
      <tr data-nomination="${e.nomination_id}"><td class="num">${i + 1}</td>
      <td>${App.esc(e.name)}${e.moved_up ? ' <span class="badge warn">递补</span>' : ""}${e.source === "direct" ? ' <span class="badge">直接推荐</span>' : ""}</td>
      <td>${App.esc(e.employer_name || "")}</td><td>${App.esc(e.group_name)}</td><td class="num">${e.score ?? "—"}</td>
      <td>${App.esc(attrs(e.attributes))}</td>
      <td>${App.esc(Awards.STATUS_NAMES[e.status] || e.status)}${e.certificate_no
        ? ` <a class="small" href="/api/nominations/${e.nomination_id}/certificate.pdf" target="_blank">${App.esc(e.certificate_no)}</a>` : ""}</td></tr>`).join("");
    $("#selected").hidden = !report.selected.length;
    $("#checks tbody").innerHTML = report.checks.map((c) => `
      <tr><td>${App.esc(c.constraint)}</td><td class="num">${c.bound === "at_least" ? "≥" : "≤"} ${c.count}</td>
      <td class="num">${c.plain}</td><td class="num">${c.selected ?? "—"}</td></tr>`).join("")
      || `<tr><td colspan="4" class="muted">本评选未设结构比例</td></tr>`;
    $("#displacements").innerHTML = report.displacements.map((d) =>
      `<li><b>${App.esc(d.constraint)}</b>：${names(d.brought_in)}（入选）替换了 ${names(d.pushed_out)}（出列）</li>`).join("")
      || (report.feasible ? "<li class=\"muted\">名单即按分数排名，未因名额或结构比例调整</li>" : "");
    $("#ties").innerHTML = report.cutoff_ties.map((t) => `<div class="notice warn tie">${App.esc(t.message)}</div>`).join("");
    const notes = [...report.notes];
    if (report.unscored_count) notes.push(`未评分：${report.unscored.join("、")}${report.unscored_count > report.unscored.length ? " 等" : ""}`);
    $("#notes").innerHTML = notes.map((n) => `<li>${App.esc(n)}</li>`).join("");
    $("#changes").innerHTML = report.changes.length
      ? `<h3>异议处理后的调整</h3><ul class="reasons">${report.changes.map((c) => `<li>${App.esc(App.when(c.at))}：${App.esc(c.message)}</li>`).join("")}</ul>`
      : "";
  }

  // The ways out of an impossible list, each checked by the server's solver; each one asks first.
  const WAY_ACTIONS = { awards: "改为该名额", relax: "放宽该比例", unions: "发送补充推荐请求" };
  function waysOutHtml(report) {
    const ways = report.ways_out || [];
    const asked = (report.requests || []).map((r) => `<li>${App.esc(App.when(r.at))} 已请 ${App.esc(r.group_names.join("、"))}：${App.esc(r.message)}</li>`).join("");
    if (!ways.length && !asked) return "";
    return `<div class="card ways-out" id="ways-out"><h3>可以这样解决</h3><ul class="ways">${ways.map((w, i) => `
      <li><span>${App.esc(w.message)}</span>
        ${programme.state === "expert_review" ? `<button type="button" class="secondary small" data-way="${i}">${WAY_ACTIONS[w.kind]}</button>` : ""}</li>`).join("")}</ul>
      ${asked ? `<h4>已发出的请求</h4><ul class="reasons">${asked}</ul>` : ""}</div>`;
  }

  async function takeWayOut(way) {
    const reason = { label: "理由（记入审计日志）", required: true, requiredMessage: "请说明理由", multiline: true, maxlength: 500 };
    if (way.kind === "awards") {
      const answer = await App.confirm({
        title: `将表彰名额改为 ${way.awards} 人？`, confirmText: "修改名额", tone: "normal", input: reason,
        details: [`表彰名额由 ${programme.total_awards} 人改为 ${way.awards} 人，修改记入审计日志。`, "修改后请重新计算建议名单。"],
      });
      if (!answer) return;
      await App.api("PATCH", `/api/programmes/${programmeId}`, { version: programme.version, total_awards: way.awards, reason: answer.value });
      return `表彰名额已改为 ${way.awards} 人，请重新计算建议名单`;
    }
    if (way.kind === "relax") {
      const answer = await App.confirm({
        title: "放宽结构比例？", confirmText: "放宽比例", input: reason,
        details: [way.message, "放宽后不能在本阶段改回更严格的比例；理由与前后比例记入审计日志。", "放宽后请重新计算建议名单。"],
      });
      if (!answer) return;
      await App.api("POST", `/api/programmes/${programmeId}/shortlist/relax`, {
        constraint_index: way.constraint_index, percent: way.percent, reason: answer.value, version: programme.version,
      });
      return "结构比例已放宽，请重新计算建议名单";
    }
    const answer = await App.confirm({
      title: "请相关工会补充推荐？", confirmText: "发送请求", tone: "normal",
      input: { label: "请求内容", value: way.message, required: true, multiline: true, maxlength: 500 },
      details: [`发给：${way.group_names.join("、")}。`, "请求显示在这些工会的评选推荐页上，并记入审计日志。"],
    });
    if (!answer) return;
    await App.api("POST", `/api/programmes/${programmeId}/shortlist/requests`, { groups: way.groups, message: answer.value });
    return `已请 ${way.group_names.join("、")} 补充推荐`;
  }

  $("#shortfalls").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-way]");
    if (!button) return;
    try {
      const report = await App.api("GET", `/api/programmes/${programmeId}/shortlist`);
      const done = await takeWayOut(report.ways_out[Number(button.dataset.way)]);
      if (!done) return;
      await refresh();
      pageNotice("ok", done);
      App.reveal($("#page-notice"));
    } catch (error) { pageNotice("bad", error.message); App.reveal($("#page-notice")); }
  });

  async function loadReport() {
    try {
      const report = await App.api("GET", `/api/programmes/${programmeId}/shortlist`);
      if (report) renderReport(report); // null: none computed yet
      else $("#report").hidden = true;
    } catch (error) {
      if (error.status !== 404) throw error;
      $("#report").hidden = true;
    }
  }

  $("#compute").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    App.clearErrors(form);
    const ok = await App.confirm({
      title: "计算建议名单？", confirmText: "计算建议名单", tone: "normal",
      details: ["汇总专家评审分数，按名额与结构比例计算建议名单。",
        "名单能形成时，评选进入「建议名单」阶段，不能退回专家评审；不能形成时阶段不变，页面列出解决办法。"],
    });
    if (!ok) return;
    $("#compute-button").disabled = true;
    try {
      const report = await App.api("POST", `/api/programmes/${programmeId}/shortlist`, {
        allow_incomplete: $("#allow_incomplete").checked, reason: $("#reason").value.trim(),
      });
      renderReport(report);
      pageNotice(report.feasible ? "ok" : "bad", report.feasible ? "建议名单已形成" : "无法形成建议名单，请查看不能满足的要求");
      await refresh();
    } catch (error) {
      App.showError(form, error);
    } finally {
      $("#compute-button").disabled = false;
    }
  });

  // --- notice ----------------------------------------------------------------------------------------------
  function renderNotice() {
    const p = programme;
    const unit = p.notice_unit === "working_days" ? "个工作日" : "天";
    $("#notice-section").hidden = !["shortlist", "public_notice", "awarded", "archived"].includes(p.state);
    $("#notice-facts").textContent = p.notice_starts_on
      ? `公示期：${p.notice_starts_on} 至 ${p.notice_ends_on}（${p.notice_length} ${unit}）`
      : `公示期 ${p.notice_length} ${unit}，自发布当日（非工作日则顺延至下一个工作日）起算。`;
    $("#open-notice").hidden = p.state !== "shortlist";
    $("#notice-link").hidden = !p.notice_starts_on;
    $("#notice-link").href = `/notice/${programmeId}`;
  }

  $("#open-notice").addEventListener("click", async () => {
    const unit = programme.notice_unit === "working_days" ? "个工作日" : "天";
    const ok = await App.confirm({
      title: "发布建议名单，开始公示？", confirmText: "开始公示",
      details: [
        "建议名单上的姓名、工作单位和拟表彰称号在公示页面公开。",
        `公示期 ${programme.notice_length} ${unit}，期间任何人可以提出异议。`,
        "开始后不能撤回公示，也不能再重新计算建议名单。",
      ],
    });
    if (!ok) return;
    try {
      const notice = await App.api("POST", `/api/programmes/${programmeId}/notice`, {});
      pageNotice("ok", `已开始公示：${notice.notice_starts_on} 至 ${notice.notice_ends_on}`);
      await refresh();
    } catch (error) {
      pageNotice("bad", error.message);
    }
  });

  // --- objections ------------------------------------------------------------------------------------------
  async function loadObjections() {
    const show = ["public_notice", "awarded", "archived"].includes(programme.state);
    $("#objections-section").hidden = !show;
    if (!show) return;
    const list = await App.api("GET", `/api/programmes/${programmeId}/objections`);
    $("#objection-counts").innerHTML = [["待处理", list.pending], ["成立", list.upheld], ["驳回", list.dismissed]]
      .map(([label, value]) => `<div class="stat"><div class="muted small">${label}</div><div class="value">${value}</div></div>`).join("");
    const open = programme.state === "public_notice";
    $("#objections").innerHTML = list.items.map((o) => {
      const [label, tone] = STATUS[o.status];
      const who = o.anonymous ? '<span class="badge warn">匿名</span>' : App.esc([o.objector_name, o.objector_organisation].filter(Boolean).join(" · "));
      const form = o.status === "pending" && open ? `
        <form class="resolve row" data-objection="${o.id}" data-version="${o.version}">
          <div class="notice" hidden></div>
          <div class="spacer"><label for="reason-${o.id}">处理意见</label><input id="reason-${o.id}" name="reason" maxlength="500" placeholder="驳回时必须说明理由"></div>
          <div class="field-error" data-error-for="reason"></div>
          <div style="align-self: flex-end" class="row">
            <button type="submit" name="decision" value="dismissed" class="secondary">驳回异议</button>
            <button type="submit" name="decision" value="upheld">异议成立，撤下</button>
          </div>
        </form>` : (o.resolution ? `<p class="small">处理意见：${App.esc(o.resolution)}</p>` : "");
      return `<div class="card objection" data-id="${o.id}">
        <div class="row"><b>对 ${App.esc(o.nominee_name)}（${App.esc(o.employer_name || "")}）的异议</b>
          <span class="badge ${tone}">${label}</span><span class="spacer"></span><span class="muted small">${App.esc(App.when(o.lodged_at))}</span></div>
        <p class="pre">${App.esc(o.grounds)}</p>
        <p class="small muted">提出人：${who || "—"}${o.contact ? ` · 联系方式：${App.esc(o.contact)}` : ""}</p>
        ${form}</div>`;
    }).join("") || '<p class="muted">尚未收到异议。</p>';
  }

  $("#objections").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target.closest("form.resolve");
    const decision = event.submitter ? event.submitter.value : "dismissed";
    App.clearErrors(form);
    const card = form.closest(".objection");
    const who = card ? card.querySelector("b").textContent : "该异议";
    const ok = await App.confirm(decision === "upheld"
      ? {
        title: `${who}：异议成立？`, confirmText: "异议成立，撤下",
        details: ["被异议人从建议名单中撤下，不予表彰；有递补人选的按规则递补。", "处理结论不能更改，记入审计日志。"],
      }
      : {
        title: `${who}：驳回异议？`, confirmText: "驳回异议",
        details: ["被异议人保留在建议名单中。", "处理结论不能更改，驳回理由记入审计日志。"],
      });
    if (!ok) return;
    try {
      const result = await App.api("POST", `/api/objections/${form.dataset.objection}/resolve`, {
        decision, reason: form.querySelector("[name=reason]").value.trim(), version: Number(form.dataset.version),
      });
      pageNotice("ok", result.change ? result.change.message : "异议已处理");
      await refresh();
    } catch (error) {
      App.showError(form, error);
    }
  });

  // --- award -----------------------------------------------------------------------------------------------
  function renderAward() {
    const p = programme;
    $("#award-section").hidden = !["public_notice", "awarded", "archived"].includes(p.state);
    $("#award").hidden = p.state !== "public_notice";
    const done = ["awarded", "archived"].includes(p.state);
    $("#honours-link").hidden = !done;
    $("#honours-link").href = `/honours/${programmeId}`;
    $("#honours-xlsx").hidden = !done;
    $("#honours-xlsx").href = `/api/public/programmes/${programmeId}/honours.xlsx`;
    if (done) $("#award-facts").textContent = "表彰名单已公布，可在名单中下载每位获奖者的荣誉证书。";
  }

  $("#award").addEventListener("click", async () => {
    const ok = await App.confirm({
      title: "确认表彰名单？", confirmText: "确认表彰",
      details: ["名单在表彰页面（光荣榜）公布，并为每人生成荣誉证书编号。", "确认后名单不能再更改。"],
    });
    if (!ok) return;
    try {
      const roll = await App.api("POST", `/api/programmes/${programmeId}/award`, {});
      pageNotice("ok", `已确认表彰 ${roll.items.length} 人`);
      await refresh();
    } catch (error) {
      pageNotice("bad", error.message);
    }
  });

  async function refresh() {
    await loadProgramme();
    $("#compute").hidden = programme.state !== "expert_review";
    await Promise.all([loadPanel(), loadReport(), loadObjections()]);
    renderNotice();
    renderAward();
  }

  async function start() {
    const user = await App.header();
    if (!user) return;
    await refresh();
  }
  start().catch((error) => pageNotice("bad", error.message));
})();
