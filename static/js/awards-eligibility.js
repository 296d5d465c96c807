// 组织者的资格审查页: the rules' verdict and reasons per nomination; confirm, or override with a reason.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const programmeId = Number(location.pathname.split("/")[3]);
  const LIMIT = 50;
  let offset = 0;
  let programme = null;

  async function start() {
    const user = await App.header();
    if (!user) return;
    programme = await App.api("GET", `/api/programmes/${programmeId}`);
    $("#title").textContent = `资格审查：${programme.name}`;
    const rules = programme.eligibility_text.length ? programme.eligibility_text.join("；") : "未设资格条件";
    $("#facts").textContent = `${programme.state_name} · 资格条件：${rules}`;
    await load();
  }

  function filters() {
    const params = new URLSearchParams({ limit: LIMIT, offset });
    for (const key of ["eligibility", "reviewed", "source", "q"]) {
      const value = $("#" + key).value.trim();
      if (value) params.set(key, value);
    }
    return params;
  }

  function achievements(n) {
    const a = n.achievements;
    const parts = [];
    if (a.competition_results.length) parts.push(a.competition_results.map((r) => `${r.title}${r.prize || ""}`).join("、"));
    if (a.patent_count) parts.push(`专利 ${a.patent_count} 项`);
    if (a.apprentices_trained) parts.push(`带徒 ${a.apprentices_trained} 人`);
    if (a.titles_honours.length) parts.push(a.titles_honours.map((h) => `${h.year ? h.year + " " : ""}${h.title}`).join("、"));
    return parts.map(App.esc).join("；");
  }

  function level(n) { return n.skill_level ? Awards.LEVEL_NAMES[n.skill_level] : "无等级"; }

  async function load() {
    const page = await App.api("GET", `/api/programmes/${programmeId}/nominations?` + filters());
    const c = page.counts;
    $("#counts").innerHTML = [["符合条件", c.eligible, "ok"], ["不符合条件", c.ineligible, "warn"],
      ["待审核", c.unreviewed, ""], ["已改判", c.overridden, ""]].map(([label, value, kind]) =>
      `<div class="stat ${kind}"><div class="value">${value}</div><div class="small muted">${label}</div></div>`).join("");
    const open = ["open", "eligibility_review"].includes(programme.state);
    $("#confirm-all").disabled = !open || c.unreviewed === 0;
    $("#direct").hidden = !programme.qualifying_results.some((q) => q.effect === "direct");
    $("#nominations tbody").innerHTML = page.items.map((n) => `
      <tr data-nomination="${n.id}">
        <td><strong>${App.esc(n.name)}</strong>${n.source === "direct" ? ' <span class="badge">直接推荐</span>' : ""}
          <div class="small mono">${App.esc(n.id_number)}</div>
          <div class="small muted">${n.gender === "F" ? "女" : "男"} · ${App.esc(level(n))} · ${n.front_line ? "一线" : "非一线"}
            ${n.enterprise_leader ? " · 企业负责人" : ""} · ${n.union_member ? "会员" : "非会员"}</div></td>
        <td>${App.esc(n.union_name || "")}<div class="small muted">${App.esc(n.employer_name || "")}</div></td>
        <td class="small"><div class="pre deed">${App.esc(n.deed)}</div><div class="muted">${achievements(n)}</div>
          ${n.attachments ? `<div><a href="#" data-attachments="${n.id}">附件 ${n.attachments} 个</a><ul class="attachment-list" hidden></ul></div>` : ""}</td>
        <td>${Awards.eligibilityBadge(n)}${Awards.reasons(n)}
          ${n.eligibility_note ? `<div class="small">说明：${App.esc(n.eligibility_note)}</div>` : ""}</td>
        <td class="actions">${open && n.status === "nominated" ? `
          <button type="button" data-confirm="${n.id}" data-version="${n.version}">确认</button>
          <button type="button" class="ghost" data-override="${n.id}">改判</button>
          <form class="override" data-override-form="${n.id}" data-version="${n.version}" hidden novalidate>
            <label for="reason-${n.id}">改判理由</label>
            <textarea id="reason-${n.id}" name="reason" rows="2" maxlength="500"></textarea>
            <div class="field-error" data-error-for="reason"></div>
            <button type="submit">确认改判为「${n.eligibility_status === "eligible" ? "不符合" : "符合"}」</button>
          </form>` : ""}
          <div class="field-error" data-row-error></div></td>
      </tr>`).join("") || '<tr><td colspan="5" class="muted">没有符合筛选条件的推荐</td></tr>';
    $("#summary").textContent = `共 ${page.total} 份，第 ${page.total ? offset + 1 : 0}–${offset + page.items.length} 份`;
    $("#prev").disabled = offset === 0;
    $("#next").disabled = offset + LIMIT >= page.total;
    wire();
  }

  function wire() {
    document.querySelectorAll("[data-confirm]").forEach((b) => b.addEventListener("click", async () => {
      const row = b.closest("tr");
      try {
        await App.api("POST", `/api/nominations/${b.dataset.confirm}/eligibility`, { decision: "confirm", version: Number(b.dataset.version) });
        await load();
      } catch (error) { row.querySelector("[data-row-error]").textContent = error.message; }
    }));
    document.querySelectorAll("[data-override]").forEach((b) => b.addEventListener("click", () => {
      const formEl = document.querySelector(`[data-override-form="${b.dataset.override}"]`);
      formEl.hidden = !formEl.hidden;
      if (!formEl.hidden) formEl.querySelector("textarea").focus();
    }));
    document.querySelectorAll("[data-override-form]").forEach((f) => f.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(f);
      try {
        await App.api("POST", `/api/nominations/${f.dataset.overrideForm}/eligibility`,
          { decision: "override", reason: f.elements.reason.value, version: Number(f.dataset.version) });
        await load();
      } catch (error) { App.showError(f, error); }
    }));
    document.querySelectorAll("[data-attachments]").forEach((a) => a.addEventListener("click", async (event) => {
      event.preventDefault();
      const list = a.parentElement.querySelector(".attachment-list");
      const items = await App.api("GET", `/api/nominations/${a.dataset.attachments}/attachments`);
      list.innerHTML = items.map((x) => `<li><a href="/api/attachments/${x.id}">${App.esc(x.filename)}</a>
        <span class="muted">（${Math.max(1, Math.round(x.size / 1024))} KB）</span></li>`).join("");
      list.hidden = false;
    }));
  }

  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); offset = 0; load(); });
  $("#prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); load(); });
  $("#next").addEventListener("click", () => { offset += LIMIT; load(); });
  $("#confirm-all").addEventListener("click", async () => {
    const ok = await App.confirm({
      title: "按规则审查结果全部确认？", confirmText: "全部确认", tone: "normal",
      details: ["所有尚未审核的推荐按系统审查结果确认（符合或不符合条件）。", "已逐条审核或改判的不受影响；本次确认记入审计日志。"],
    });
    if (!ok) return;
    try {
      const result = await App.api("POST", `/api/programmes/${programmeId}/eligibility/confirm`, { reason: "按规则审查结果确认" });
      Awards.notice($("#page-notice"), "ok", `已确认 ${result.confirmed} 份推荐`);
      await load();
    } catch (error) { Awards.notice($("#page-notice"), "bad", error.message); }
  });
  $("#direct").addEventListener("click", async () => {
    const ok = await App.confirm({
      title: "按竞赛成绩生成直接推荐？", confirmText: "生成直接推荐", tone: "normal",
      details: ["在评选规则指定的竞赛中获奖的职工，按规则直接推荐（不占工会名额）。", "已由工会推荐的获奖者转为直接推荐；操作记入审计日志。"],
    });
    if (!ok) return;
    try {
      const result = await App.api("POST", `/api/programmes/${programmeId}/direct-nominations`);
      Awards.notice($("#page-notice"), "ok",
        `直接推荐：新增 ${result.created.length} 人，由工会推荐转为直接推荐 ${result.converted.length} 人，已有 ${result.existing.length} 人`);
      await load();
    } catch (error) { Awards.notice($("#page-notice"), "bad", error.message); }
  });

  start();
})();
