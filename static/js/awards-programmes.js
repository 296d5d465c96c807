// 组织者的评选管理页: programmes as cards, and the form to create or edit one: quotas as a table of unions
// (by name) or industries, competition results by competition title, the expert rubric with RubricBuilder.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const form = $("#programme-form");
  let programmes = [];
  let unions = [];        // [{ id, name, kind }]
  let competitions = [];  // [{ id, title }]
  let editing = null;     // the ProgrammeOut being edited, or null for a new one
  let reviewBuilder = null;
  let unionQuotas = [];   // [{ union_id, quota }] under a union scope

  const REVIEW_STAGE = { id: "review", name: "专家评审", weight_percent: "100", kind: "review" };
  const DEFAULT_RUBRIC = {
    stages: [{
      id: "review", name: "专家评审", kind: "rubric", full_marks: "100", weight_percent: "100",
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
  const TIERS = { 1: "一等奖", 2: "二等奖及以上", 3: "三等奖及以上（任一奖项）" };
  const EFFECTS = { eligible: "视为符合资格条件", direct: "直接推荐（不占工会名额）" };

  async function start() {
    const user = await App.header();
    if (!user) return;
    $("#kind").innerHTML = Object.entries(Awards.KIND_NAMES).map(([k, v]) => `<option value="${k}">${v}</option>`).join("");
    [unions, competitions] = await Promise.all([
      App.api("GET", "/api/unions/"),
      App.api("GET", "/api/organizer/competitions").then((list) => list.map((c) => ({ id: c.id, title: c.title }))),
      Awards.loadIndustries(), // fills Awards.INDUSTRIES for the quota table by industry
    ]);
    $("#union-names").innerHTML = unions.map((u) => `<option value="${App.esc(u.name)}">`).join("");
    resetForm();
    await load();
    document.body.dataset.ready = "1";
  }

  // --- the list ------------------------------------------------------------------------------------------------
  function quotaSummary(p) {
    const each = p.default_quota == null ? "不限" : `${p.default_quota} 人`;
    const own = Object.keys(p.quotas).length;
    return `${p.quota_scope === "industry" ? "按行业" : "按推荐工会"}，每个${p.quota_scope === "industry" ? "行业" : "工会"} ${each}${own ? `，${own} 个单独设置` : ""}`;
  }

  function qualifyingSummary(p) {
    return p.qualifying_results.map((q) => {
      const c = competitions.find((x) => x.id === q.competition_id);
      return `${c ? c.title : `竞赛 ${q.competition_id}`}${TIERS[q.max_tier]}：${EFFECTS[q.effect]}`;
    }).join("；");
  }

  function card(p) {
    return `<article class="card programme-card" data-programme="${p.id}">
      <div class="row"><h3 class="spacer">${App.esc(p.name)}</h3><span class="badge" data-state="${p.state}">${App.esc(p.state_name)}</span></div>
      <dl class="facts">
        <dt>类别</dt><dd>${App.esc(p.kind_name)} · ${p.year} 年度</dd>
        <dt>推荐时间</dt><dd>${App.when(p.nomination_opens_at)} 至 ${App.when(p.nomination_closes_at)}</dd>
        <dt>表彰名额</dt><dd>${p.total_awards} 人 · 已推荐 ${p.nominations} 人</dd>
        <dt>推荐名额</dt><dd>${App.esc(quotaSummary(p))}</dd>
        ${p.constraints.length ? `<dt>结构比例</dt><dd>${App.esc(p.constraints.map((c) => c.text).join("；"))}</dd>` : ""}
        ${p.qualifying_results.length ? `<dt>竞赛成绩</dt><dd>${App.esc(qualifyingSummary(p))}</dd>` : ""}
      </dl>
      <div class="row actions">
        <button type="button" class="ghost" data-edit="${p.id}">编辑</button>
        <a class="button secondary" href="/organizer/programmes/${p.id}/eligibility">资格审查</a>
        <a class="button secondary" href="/organizer/programmes/${p.id}/shortlist">评审与公示</a>
        ${p.allowed_transitions.map((t) => `<button type="button" data-transition="${t}" data-id="${p.id}"
           data-version="${p.version}">${App.esc(NEXT_LABELS[t] || t)}</button>`).join("")}
      </div>
      <div class="field-error" data-row-error></div>
    </article>`;
  }

  async function load() {
    programmes = await App.api("GET", "/api/programmes/");
    $("#programmes").innerHTML = programmes.map(card).join("") || '<p class="muted">还没有评选</p>';
    document.querySelectorAll("[data-edit]").forEach((b) => b.addEventListener("click", () => edit(Number(b.dataset.edit))));
    document.querySelectorAll("[data-transition]").forEach((b) => b.addEventListener("click", () => transition(b)));
  }

  async function transition(button) {
    const box = button.closest(".programme-card");
    box.querySelector("[data-row-error]").textContent = "";
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
      box.querySelector("[data-row-error]").textContent = error.message;
    }
  }

  // --- quotas --------------------------------------------------------------------------------------------------
  function renderQuotas(quotas = {}) {
    const scope = $("#quota_scope").value;
    const body = $("#quota-table tbody");
    $("#quota-scope-hint").textContent = scope === "industry"
      ? "每个行业的推荐人数各自计算（按被推荐人所在企业的行业）。"
      : "每个基层工会最多推荐的人数。";
    $("#quota-who").textContent = scope === "industry" ? "行业" : "基层工会";
    $("#quota-add-row").hidden = scope === "industry";
    $("#quota-title").textContent = scope === "industry" ? "各行业名额（不填按上面的名额）" : "单独设置的名额";
    if (scope === "industry") {
      body.innerHTML = Object.entries(Awards.INDUSTRIES).map(([code, name]) => `<tr data-industry="${code}">
        <td>${App.esc(name)}</td><td class="num"><input type="number" min="0" class="quota-input" aria-label="${App.esc(name)}名额"
          value="${quotas[code] ?? ""}" placeholder="默认"></td><td></td></tr>`).join("");
      return;
    }
    body.innerHTML = unionQuotas.map((q, i) => {
      const union = unions.find((u) => u.id === q.union_id);
      return `<tr data-row="${i}"><td><input class="union-name" list="union-names" aria-label="基层工会名称"
          value="${App.esc(union ? union.name : "")}" placeholder="输入工会名称查找"><div class="field-error" data-union-error></div></td>
        <td class="num"><input type="number" min="0" class="quota-input" aria-label="名额" value="${q.quota ?? ""}"></td>
        <td><button type="button" class="ghost small" data-remove-quota="${i}">删除</button></td></tr>`;
    }).join("") || '<tr><td colspan="3" class="muted">没有单独设置：每个工会都按上面的名额。</td></tr>';
  }

  function readUnionRows() {
    return [...document.querySelectorAll("#quota-table tr[data-row]")].map((row) => {
      const name = row.querySelector(".union-name").value.trim();
      const union = unions.find((u) => u.name === name);
      return { union_id: union ? union.id : null, name, quota: row.querySelector(".quota-input").value, row };
    });
  }

  $("#quota_scope").addEventListener("change", () => { unionQuotas = []; renderQuotas(); });
  $("#add-quota").addEventListener("click", () => {
    unionQuotas = readUnionRows().map(({ union_id, quota }) => ({ union_id, quota }));
    unionQuotas.push({ union_id: null, quota: "" });
    renderQuotas();
    document.querySelector("#quota-table tr[data-row]:last-child .union-name").focus();
  });
  $("#quota-table").addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-quota]");
    if (!button) return;
    unionQuotas = readUnionRows().map(({ union_id, quota }) => ({ union_id, quota }));
    unionQuotas.splice(Number(button.dataset.removeQuota), 1);
    renderQuotas();
  });

  // The quotas for the API ({ union id or industry code: count }); throws a message for a name not found.
  function quotas() {
    const out = {};
    if ($("#quota_scope").value === "industry") {
      for (const row of document.querySelectorAll("#quota-table tr[data-industry]")) {
        const value = row.querySelector(".quota-input").value;
        if (value !== "") out[row.dataset.industry] = Number(value);
      }
      return out;
    }
    for (const { union_id, name, quota, row } of readUnionRows()) {
      if (!name && quota === "") continue;
      if (!union_id) {
        row.querySelector("[data-union-error]").textContent = name ? `没有名为“${name}”的基层工会` : "请填写工会名称";
        throw new Error("quotas");
      }
      if (quota !== "") out[String(union_id)] = Number(quota);
    }
    return out;
  }

  // --- structural constraints and competition results ----------------------------------------------------------
  function constraintRow(c = { attribute: "front_line", bound: "at_least", percent: "" }) {
    const div = document.createElement("div");
    div.className = "row constraint";
    div.innerHTML = `
      <select data-c="attribute" aria-label="对象">${Object.entries(ATTRIBUTES).map(([k, v]) =>
        `<option value="${k}"${k === c.attribute ? " selected" : ""}>${v}</option>`).join("")}</select>
      <select data-c="bound" aria-label="方向"><option value="at_least"${c.bound === "at_least" ? " selected" : ""}>不少于</option>
        <option value="at_most"${c.bound === "at_most" ? " selected" : ""}>不超过</option></select>
      <span class="percent-input"><input data-c="percent" type="number" min="0" max="100" step="any" value="${App.esc(c.percent)}" aria-label="百分比">%</span>
      <button type="button" class="ghost" data-remove>删除</button>`;
    div.querySelector("[data-remove]").addEventListener("click", () => div.remove());
    $("#constraints").append(div);
  }
  $("#add-constraint").addEventListener("click", () => constraintRow());

  function qualifyingRow(q = { competition_id: competitions[0] ? competitions[0].id : null, max_tier: 1, effect: "eligible" }) {
    const div = document.createElement("div");
    div.className = "qualifying-row";
    const options = (map, selected) => Object.entries(map).map(([k, v]) => `<option value="${k}"${String(k) === String(selected) ? " selected" : ""}>${v}</option>`).join("");
    div.innerHTML = `
      <select data-q="competition_id" aria-label="竞赛">${competitions.map((c) => `<option value="${c.id}"${c.id === q.competition_id ? " selected" : ""}>${App.esc(c.title)}</option>`).join("")}</select>
      <div class="row">
        <select data-q="max_tier" aria-label="获得的奖项">${options(TIERS, q.max_tier)}</select>
        <select data-q="effect" aria-label="作用">${options(EFFECTS, q.effect)}</select>
        <button type="button" class="ghost" data-remove>删除</button>
      </div>`;
    div.querySelector("[data-remove]").addEventListener("click", () => div.remove());
    $("#qualifying").append(div);
  }
  $("#add-qualifying").addEventListener("click", () => {
    if (!competitions.length) { App.showError(form, { field: "qualifying_results", message: "还没有竞赛" }); return; }
    qualifyingRow();
  });

  // --- the expert rubric -----------------------------------------------------------------------------------------
  function mountReview(rules) {
    const stage = rules ? { ...REVIEW_STAGE, id: String(rules.stages[0].id), name: rules.stages[0].name || REVIEW_STAGE.name } : REVIEW_STAGE;
    reviewBuilder = RubricBuilder.mount($("#review-builder"), { stages: [stage], rules: rules || DEFAULT_RUBRIC, mode: "review", judges: 5 });
  }
  $("#use_rubric").addEventListener("change", () => { $("#review-builder").hidden = !$("#use_rubric").checked; });

  // --- the form ---------------------------------------------------------------------------------------------------
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
    unionQuotas = [];
    renderQuotas();
    $("#constraints").innerHTML = "";
    constraintRow({ attribute: "front_line", bound: "at_least", percent: "60" });
    constraintRow({ attribute: "enterprise_leader", bound: "at_most", percent: "10" });
    constraintRow({ attribute: "female", bound: "at_least", percent: "30" });
    $("#qualifying").innerHTML = "";
    $("#review-builder").hidden = false;
    mountReview(null);
  }
  $("#new-programme").addEventListener("click", resetForm);

  function edit(id) {
    const p = programmes.find((x) => x.id === id);
    editing = p;
    App.clearErrors(form);
    $("#form-title").textContent = `编辑：${p.name}`;
    $("#save").textContent = "保存修改";
    for (const key of ["name", "year", "kind", "total_awards", "deed_max_chars", "quota_scope", "notice_length", "notice_unit",
      "replacement_notice", "issuing_body", "objection_office", "objection_phone", "objection_address"]) {
      form.elements[key].value = p[key];
    }
    $("#default_quota").value = p.default_quota ?? "";
    $("#nomination_opens_at").value = Awards.toLocal(p.nomination_opens_at);
    $("#nomination_closes_at").value = Awards.toLocal(p.nomination_closes_at);
    unionQuotas = p.quota_scope === "union" ? Object.entries(p.quotas).map(([k, v]) => ({ union_id: Number(k), quota: v })) : [];
    renderQuotas(p.quotas);
    const e = p.eligibility;
    for (const key of ["min_age", "max_age", "least_senior_level", "min_years_employed"]) form.elements[key].value = e[key] ?? "";
    for (const key of ["union_member_required", "front_line_only", "zone_enterprise_required"]) form.elements[key].checked = !!e[key];
    $("#constraints").innerHTML = "";
    p.constraints.forEach((c) => constraintRow(c));
    $("#qualifying").innerHTML = "";
    p.qualifying_results.forEach((q) => qualifyingRow(q));
    $("#use_rubric").checked = Boolean(p.review_rules);
    $("#review-builder").hidden = !p.review_rules;
    mountReview(p.review_rules);
    form.scrollIntoView({ behavior: "smooth" });
  }

  function number(id) { const v = $(id).value; return v === "" ? null : Number(v); }

  function payload() {
    return {
      name: $("#name").value.trim(),
      year: number("#year"),
      kind: $("#kind").value,
      nomination_opens_at: Awards.toIso($("#nomination_opens_at").value),
      nomination_closes_at: Awards.toIso($("#nomination_closes_at").value),
      total_awards: number("#total_awards"),
      quota_scope: $("#quota_scope").value,
      default_quota: number("#default_quota"),
      quotas: quotas(),
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
      qualifying_results: [...document.querySelectorAll(".qualifying-row")].map((row) => ({
        competition_id: Number(row.querySelector('[data-q="competition_id"]').value),
        max_tier: Number(row.querySelector('[data-q="max_tier"]').value),
        effect: row.querySelector('[data-q="effect"]').value,
      })),
      review_rules: $("#use_rubric").checked ? reviewBuilder.rules() : null,
      deed_max_chars: number("#deed_max_chars"),
      notice_length: number("#notice_length"),
      notice_unit: $("#notice_unit").value,
      replacement_notice: $("#replacement_notice").value,
      issuing_body: $("#issuing_body").value.trim(),
      objection_office: $("#objection_office").value.trim(),
      objection_phone: $("#objection_phone").value.trim(),
      objection_address: $("#objection_address").value.trim(),
    };
  }

  // A field the API names inside a nested object ("eligibility.max_age", "constraints[1].percent") is shown
  // next to the nearest part of the form that has an error slot; the rubric's own problems in the builder.
  function showSaveError(error) {
    const problems = (error.body.detail && error.body.detail.problems) || [];
    if (error.field && error.field.startsWith("review_rules") && problems.length) {
      reviewBuilder.showProblems(problems);
    }
    if (!error.field) return App.showError(form, error);
    const base = error.field.split(/[.[]/)[0];
    const field = form.querySelector(`[data-error-for="${error.field}"]`) ? error.field : base;
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (slot && !form.elements[field]) {
      // A part of the form without one input of that name (the quota table): the message goes beside it.
      App.clearErrors(form);
      slot.textContent = error.message;
      return App.reveal(slot.closest("fieldset") || slot);
    }
    App.showError(form, { ...error, field, message: error.message });
    if (slot) App.reveal(slot.closest("fieldset") || slot);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    App.clearErrors(form);
    document.querySelectorAll("[data-union-error]").forEach((el) => { el.textContent = ""; });
    let body;
    try { body = payload(); } catch {
      App.showError(form, { field: "quotas", message: "请核对单独设置名额的工会名称" });
      return;
    }
    try {
      if (editing) {
        const changes = { ...body, version: editing.version };
        if (editing.state !== "draft" && editing.state !== "open") {
          for (const key of ["year", "kind", "nomination_opens_at", "nomination_closes_at", "quota_scope", "default_quota",
            "quotas", "eligibility", "constraints", "qualifying_results", "deed_max_chars"]) delete changes[key];
        }
        // The notice's settings are fixed once the notice is out (the server refuses them from then on).
        if (!["draft", "open", "eligibility_review", "expert_review", "shortlist"].includes(editing.state)) {
          for (const key of ["notice_length", "notice_unit", "replacement_notice"]) delete changes[key];
        }
        await App.api("PATCH", `/api/programmes/${editing.id}`, changes);
      } else {
        await App.api("POST", "/api/programmes/", body);
      }
      const box = form.querySelector(".notice");
      Awards.notice(box, "ok", editing ? "已保存修改" : `已创建「${body.name}」（草稿）`);
      App.reveal(box);
      editing = null;
      $("#form-title").textContent = "新建评选";
      $("#save").textContent = "保存（草稿）";
      await load();
    } catch (error) {
      showSaveError(error);
    }
  });

  start();
})();
