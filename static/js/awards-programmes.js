// 组织者的评选管理页: list programmes, create or edit one, move it along its lifecycle.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const form = $("#programme-form");
  let programmes = [];
  let editing = null; // the ProgrammeOut being edited, or null for a new one

  const DEFAULT_RUBRIC = {
    stages: [{
      id: "review", name: "专家评审", full_marks: "100", weight_percent: "100",
      modules: [{
        id: "deeds", name: "事迹与业绩", aspects: [
          { id: "achievement", kind: "measurement", max_mark: "40", name: "工作业绩" },
          { id: "innovation", kind: "measurement", max_mark: "30", name: "技术创新" },
          { id: "influence", kind: "measurement", max_mark: "30", name: "示范带动" },
        ],
      }],
    }],
    tiers: null,
  };
  const ATTRIBUTES = { front_line: "一线职工", enterprise_leader: "企业负责人", female: "女性", industrial_worker: "产业工人", union_member: "工会会员" };
  const NEXT_LABELS = {
    open: "开始征集推荐", eligibility_review: "截止推荐，进入资格审查", expert_review: "进入专家评审",
    shortlist: "形成建议名单", public_notice: "开始公示", awarded: "确认表彰", archived: "归档",
  };

  // What each step of a programme's lifecycle does, said before it is taken.
  const TRANSITION_CONFIRM = {
    open: { title: "开始征集推荐", details: ["各基层工会即可在推荐时间内提交推荐；名额和资格条件此后只能在征集期间修改。"] },
    eligibility_review: { title: "截止推荐，进入资格审查", details: ["工会不能再提交、修改或撤回推荐。", "名额、资格条件和结构比例锁定。"] },
    expert_review: { title: "进入专家评审", details: ["资格审查结果锁定，符合条件的推荐交评审专家打分。"] },
    shortlist: { title: "形成建议名单", details: ["专家评审结束，不能再提交评分。"] },
    public_notice: { title: "开始公示", details: ["建议名单在公示页面公开，公示期内任何人可以提出异议。"] },
    awarded: { title: "确认表彰", details: ["表彰名单公布并生成荣誉证书，名单不能再更改。"] },
    archived: { title: "归档", details: ["评选归档后只读。"] },
  };

  async function start() {
    const user = await App.header();
    if (!user) return;
    $("#kind").innerHTML = Object.entries(Awards.KIND_NAMES).map(([k, v]) => `<option value="${k}">${v}</option>`).join("");
    resetForm();
    await load();
  }

  async function load() {
    programmes = await App.api("GET", "/api/programmes/");
    $("#programmes tbody").innerHTML = programmes.map((p) => `
      <tr data-programme="${p.id}">
        <td><strong>${App.esc(p.name)}</strong><div class="small muted">${App.esc(p.kind_name)} · ${p.year}</div>
          <div class="small muted">${App.esc(p.constraints.map((c) => c.text).join("；"))}</div></td>
        <td><span class="badge" data-state="${p.state}">${App.esc(p.state_name)}</span></td>
        <td class="small">${App.when(p.nomination_opens_at)}<br>至 ${App.when(p.nomination_closes_at)}</td>
        <td class="num">${p.total_awards}</td>
        <td class="num">${p.nominations}</td>
        <td class="actions">
          <button type="button" class="ghost" data-edit="${p.id}">编辑</button>
          <a class="button secondary" href="/organizer/programmes/${p.id}/eligibility">资格审查</a>
          <a class="button secondary" href="/organizer/programmes/${p.id}/shortlist">评审与公示</a>
          ${p.allowed_transitions.map((t) => `<button type="button" data-transition="${t}" data-id="${p.id}"
             data-version="${p.version}">${App.esc(NEXT_LABELS[t] || t)}</button>`).join("")}
          <div class="field-error" data-row-error></div>
        </td>
      </tr>`).join("") || '<tr><td colspan="6" class="muted">还没有评选</td></tr>';
    document.querySelectorAll("[data-edit]").forEach((b) => b.addEventListener("click", () => edit(Number(b.dataset.edit))));
    document.querySelectorAll("[data-transition]").forEach((b) => b.addEventListener("click", () => transition(b)));
  }

  async function transition(button) {
    const row = button.closest("tr");
    row.querySelector("[data-row-error]").textContent = "";
    const programme = programmes.find((p) => p.id === Number(button.dataset.id));
    const words = TRANSITION_CONFIRM[button.dataset.transition] || { title: NEXT_LABELS[button.dataset.transition], details: [] };
    const ok = await App.confirm({
      title: `${programme.name}：${words.title}？`, details: [...words.details, "评选不能退回上一阶段。"],
      confirmText: NEXT_LABELS[button.dataset.transition] || "确认",
    });
    if (!ok) return;
    try {
      await App.api("POST", `/api/programmes/${button.dataset.id}/transition`,
        { target: button.dataset.transition, version: Number(button.dataset.version) });
      await load();
    } catch (error) {
      row.querySelector("[data-row-error]").textContent = error.message;
    }
  }

  // --- the form ---------------------------------------------------------------------------------------------

  function constraintRow(c = { attribute: "front_line", bound: "at_least", percent: "" }) {
    const div = document.createElement("div");
    div.className = "row constraint";
    div.innerHTML = `
      <select data-c="attribute" aria-label="对象">${Object.entries(ATTRIBUTES).map(([k, v]) =>
        `<option value="${k}"${k === c.attribute ? " selected" : ""}>${v}</option>`).join("")}</select>
      <select data-c="bound" aria-label="方向"><option value="at_least"${c.bound === "at_least" ? " selected" : ""}>不少于</option>
        <option value="at_most"${c.bound === "at_most" ? " selected" : ""}>不超过</option></select>
      <input data-c="percent" type="number" min="0" max="100" step="any" value="${App.esc(c.percent)}" aria-label="百分比" placeholder="%">
      <button type="button" class="ghost" data-remove>删除</button>`;
    div.querySelector("[data-remove]").addEventListener("click", () => div.remove());
    $("#constraints").append(div);
  }
  $("#add-constraint").addEventListener("click", () => constraintRow());

  function defaultWindow() {
    const now = new Date();
    const opens = new Date(now.getTime() + 3600 * 1000);
    const closes = new Date(now.getTime() + 21 * 86400 * 1000);
    return [Awards.toLocal(opens.toISOString()), Awards.toLocal(closes.toISOString())];
  }

  function resetForm() {
    editing = null;
    form.reset();
    App.clearErrors(form);
    $("#form-title").textContent = "新建评选";
    $("#save").textContent = "保存（草稿）";
    const [opens, closes] = defaultWindow();
    $("#nomination_opens_at").value = opens;
    $("#nomination_closes_at").value = closes;
    $("#constraints").innerHTML = "";
    constraintRow({ attribute: "front_line", bound: "at_least", percent: "60" });
    constraintRow({ attribute: "enterprise_leader", bound: "at_most", percent: "10" });
    constraintRow({ attribute: "female", bound: "at_least", percent: "30" });
  }
  $("#new-programme").addEventListener("click", resetForm);

  function edit(id) {
    const p = programmes.find((x) => x.id === id);
    editing = p;
    App.clearErrors(form);
    $("#form-title").textContent = `编辑：${p.name}`;
    $("#save").textContent = "保存修改";
    for (const key of ["name", "year", "kind", "total_awards", "deed_max_chars", "quota_scope", "notice_length", "notice_unit"]) {
      form.elements[key].value = p[key];
    }
    $("#default_quota").value = p.default_quota ?? "";
    $("#nomination_opens_at").value = Awards.toLocal(p.nomination_opens_at);
    $("#nomination_closes_at").value = Awards.toLocal(p.nomination_closes_at);
    $("#quotas").value = Object.entries(p.quotas).map(([k, v]) => `${k}=${v}`).join("\n");
    const e = p.eligibility;
    for (const key of ["min_age", "max_age", "least_senior_level", "min_years_employed"]) form.elements[key].value = e[key] ?? "";
    for (const key of ["union_member_required", "front_line_only", "zone_enterprise_required"]) form.elements[key].checked = !!e[key];
    $("#constraints").innerHTML = "";
    p.constraints.forEach((c) => constraintRow(c));
    $("#qualifying").value = p.qualifying_results.map((q) => `${q.competition_id},${q.max_tier},${q.effect}`).join("\n");
    $("#use_rubric").checked = false;
    $("#review_rules").value = p.review_rules ? JSON.stringify(p.review_rules) : "";
    form.scrollIntoView({ behavior: "smooth" });
  }

  function number(id) { const v = $(id).value; return v === "" ? null : Number(v); }

  function payload() {
    const quotas = {};
    for (const line of $("#quotas").value.split(/\n+/).map((s) => s.trim()).filter(Boolean)) {
      const [key, value] = line.split(/[=＝:：]/);
      quotas[key.trim()] = Number(value);
    }
    const qualifying = $("#qualifying").value.split(/\n+/).map((s) => s.trim()).filter(Boolean).map((line) => {
      const [competition, tier, effect] = line.split(/[,，]/).map((s) => s.trim());
      return { competition_id: Number(competition), max_tier: Number(tier || 1), effect: effect || "eligible" };
    });
    let reviewRules = null;
    if ($("#review_rules").value.trim()) reviewRules = JSON.parse($("#review_rules").value);
    else if ($("#use_rubric").checked) reviewRules = DEFAULT_RUBRIC;
    return {
      name: $("#name").value.trim(),
      year: number("#year"),
      kind: $("#kind").value,
      nomination_opens_at: Awards.toIso($("#nomination_opens_at").value),
      nomination_closes_at: Awards.toIso($("#nomination_closes_at").value),
      total_awards: number("#total_awards"),
      quota_scope: $("#quota_scope").value,
      default_quota: number("#default_quota"),
      quotas,
      eligibility: {
        min_age: number("#min_age"), max_age: number("#max_age"),
        least_senior_level: number("#least_senior_level"), min_years_employed: number("#min_years_employed"),
        union_member_required: $("#union_member_required").checked,
        front_line_only: $("#front_line_only").checked,
        zone_enterprise_required: $("#zone_enterprise_required").checked,
      },
      constraints: [...document.querySelectorAll(".constraint")].map((row) => ({
        attribute: row.querySelector('[data-c="attribute"]').value,
        bound: row.querySelector('[data-c="bound"]').value,
        percent: row.querySelector('[data-c="percent"]').value || "0",
      })),
      qualifying_results: qualifying,
      review_rules: reviewRules,
      deed_max_chars: number("#deed_max_chars"),
      notice_length: number("#notice_length"),
      notice_unit: $("#notice_unit").value,
    };
  }

  // A field the API names inside a nested object ("eligibility.max_age", "constraints[1].percent") is shown
  // next to the nearest part of the form that has an error slot.
  function fieldOf(error) {
    if (!error.field) return error;
    const base = error.field.split(/[.[]/)[0];
    const field = form.querySelector(`[data-error-for="${error.field}"]`) ? error.field : base;
    return { ...error, field, message: error.message };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    App.clearErrors(form);
    let body;
    try { body = payload(); } catch { App.showError(form, { field: "review_rules", message: "评审标准不是有效的 JSON" }); return; }
    try {
      if (editing) {
        const changes = { ...body, version: editing.version };
        if (editing.state !== "draft" && editing.state !== "open") {
          for (const key of ["year", "kind", "nomination_opens_at", "nomination_closes_at", "quota_scope", "default_quota",
            "quotas", "eligibility", "constraints", "qualifying_results", "deed_max_chars"]) delete changes[key];
        }
        await App.api("PATCH", `/api/programmes/${editing.id}`, changes);
      } else {
        await App.api("POST", "/api/programmes/", body);
      }
      const box = form.querySelector(".notice");
      Awards.notice(box, "ok", editing ? "已保存修改" : `已创建「${body.name}」（草稿）`);
      editing = null;
      await load();
      if (!editing) { $("#form-title").textContent = "新建评选"; $("#save").textContent = "保存（草稿）"; }
    } catch (error) {
      App.showError(form, fieldOf(error));
    }
  });

  start();
})();
