// 公众与选手页面: competition list, detail with registration (sign-up, self, union officer), my registrations.
"use strict";

const CompPublic = (() => {
  const $ = (selector, root = document) => root.querySelector(selector);

  // --- /competitions -------------------------------------------------------------------------------------
  async function list() {
    await App.header({ public: true });
    const form = $("#filters");
    const series = await App.api("GET", "/api/series", undefined, { allowAnonymous: true });
    $("#series").innerHTML = `<option value="">全部系列</option>` +
      series.map((s) => `<option value="${s.id}">${App.esc(s.name)}</option>`).join("");
    async function load() {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(App.formData(form))) params.set(key, value);
      const items = await App.api("GET", "/api/competitions?" + params, undefined, { allowAnonymous: true });
      $("#list").innerHTML = items.length ? items.map(card).join("") : `<p class="muted">暂无竞赛</p>`;
    }
    form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
    form.addEventListener("change", load);
    await load();
  }

  function card(c) {
    return `<article class="card competition-card" data-id="${c.id}">
      <div class="row"><h2 class="spacer"><a href="/competitions/${c.id}">${App.esc(c.title)}</a></h2>${Comp.stateBadge(c)}</div>
      <div class="muted">${App.esc(c.occupation)} · ${App.esc(c.industry_name)}${c.series_name ? " · " + App.esc(c.series_name) : ""}</div>
      <div>报名时间：${Comp.windowText(c)}</div>
      <div>${Comp.places(c)}${c.venue ? " · " + App.esc(c.venue) : ""}</div>
      <p><a class="button ${c.registration_open_now ? "" : "secondary"} block" href="/competitions/${c.id}">
        ${c.registration_open_now ? "查看并报名" : "查看详情"}</a></p>
    </article>`;
  }

  // --- /competitions/{id} ---------------------------------------------------------------------------------
  async function detail() {
    const id = Comp.idFromPath();
    const user = await App.header({ public: true });
    let competition;
    try {
      competition = await App.api("GET", `/api/competitions/${id}`, undefined, { allowAnonymous: true });
    } catch (error) {
      $("main").innerHTML = `<div class="notice bad">${App.esc(error.message)}</div><p><a href="/competitions">返回竞赛列表</a></p>`;
      return;
    }
    renderDetail(competition);
    const area = $("#register");
    if (!competition.registration_open_now) {
      area.innerHTML = `<div class="notice warn">当前不在报名时间（${Comp.windowText(competition)}）</div>`;
      if (user && user.role === "organizer") area.insertAdjacentHTML("beforeend", manageLink(id));
      return;
    }
    if (!user) return signUpForm(area, competition);
    if (user.role === "contestant") return selfForm(area, competition, user);
    if (user.role === "union_officer") return officerForms(area, competition);
    if (user.role === "organizer") { area.innerHTML = manageLink(id); return; }
    area.innerHTML = `<div class="notice">当前账号（${App.esc(App.ROLE_NAMES[user.role])}）不能报名。</div>`;
  }

  function manageLink(id) {
    return `<p><a class="button" href="/organizer/competitions/${id}">管理本竞赛（审核、检录、抽签）</a></p>`;
  }

  function renderDetail(c) {
    document.title = `${c.title} · 亦城平台`;
    $("#title").textContent = c.title;
    $("#summary").innerHTML = `${Comp.stateBadge(c)}
      <div class="muted">${App.esc(c.occupation)} · ${App.esc(c.industry_name)}${c.series_name ? " · " + App.esc(c.series_name) : ""}</div>
      <dl class="facts">
        <dt>报名时间</dt><dd>${Comp.windowText(c)}</dd>
        <dt>名额</dt><dd>${Comp.places(c)}${c.waitlisted_count ? `，候补 ${c.waitlisted_count} 人` : ""}</dd>
        ${c.venue ? `<dt>地点</dt><dd>${App.esc(c.venue)}</dd>` : ""}
      </dl>
      ${c.description ? `<p class="pre">${App.esc(c.description)}</p>` : ""}`;
    $("#stages tbody").innerHTML = c.stages.map((s) => `<tr><td>${App.esc(s.name)}</td><td>${App.esc(s.kind_name)}</td>
      <td class="num">${Comp.percent(s.weight_percent)}</td><td>${s.starts_at ? App.when(s.starts_at) + " 起" : "待定"}</td></tr>`).join("");
    $("#rules").innerHTML = c.eligibility_text.map((t) => `<li>${App.esc(t)}</li>`).join("");
  }

  async function submitRegistration(form, box, call) {
    App.clearErrors(form);
    box.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      Comp.showOutcome(box, await call());
      return true;
    } catch (error) {
      if (error.code === "not_eligible") Comp.showReasons(box, error);
      else App.showError(form, error.status === 429 ? { message: "提交过于频繁，请一分钟后再试" } : error);
      return false;
    } finally {
      button.disabled = false;
    }
  }

  async function signUpForm(area, c) {
    const enterprises = await App.api("GET", "/api/signup/enterprises", undefined, { allowAnonymous: true });
    area.innerHTML = `
      <form id="signup" class="card" novalidate>
        <h2>在线报名</h2>
        <p class="muted">首次报名请填写本人信息并设置登录密码；已有账号请 <a href="/login?next=${encodeURIComponent(location.pathname)}">登录后报名</a>。</p>
        <div class="notice" hidden></div>
        ${field("name", "姓名", `<input id="name" name="name" autocomplete="name" required>`)}
        ${documentFields("")}
        ${field("mobile", "手机号", `<input id="mobile" name="mobile" type="tel" inputmode="numeric" autocomplete="tel" maxlength="11" required>`)}
        ${field("employer_id", "工作单位", `<select id="employer_id" name="employer_id"><option value="">（不在列表中）</option>
          ${enterprises.map((e) => `<option value="${e.id}">${App.esc(e.name)}</option>`).join("")}</select>`)}
        ${field("skill_level", "职业技能等级", `<select id="skill_level" name="skill_level">${Comp.levelOptions()}</select>`)}
        <label class="check"><input type="checkbox" id="union_member" name="union_member"> 我是工会会员</label>
        <label class="check"><input type="checkbox" id="front_line" name="front_line"> 我是一线职工</label>
        ${field("username", "登录用户名", `<input id="username" name="username" autocomplete="username" required placeholder="字母、数字或下划线，至少 3 位">`)}
        ${field("password", "登录密码", `<input id="password" name="password" type="password" autocomplete="new-password" required placeholder="至少 8 位，含字母和数字">`)}
        <div id="consent"></div>
        <p><button class="block" type="submit">同意并提交报名</button></p>
      </form>
      <div id="result" class="notice" hidden></div>`;
    const form = $("#signup");
    watchDocumentType(form, "");
    const consent = await Privacy.consentBlock($("#consent"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = App.formData(form);
      delete data.consent_general; delete data["consent.sensitive_id"];
      for (const key of ["employer_id", "skill_level"]) data[key] = data[key] ? Number(data[key]) : null;
      Object.assign(data, documentValues(form, ""));
      data.consent = consent();
      const done = await submitRegistration(form, $("#result"), () => App.api("POST", `/api/competitions/${c.id}/signup`, data, { allowAnonymous: true }));
      if (done) { form.hidden = true; App.rememberSession(); App.header(); }
    });
  }

  // The identity document: one of the 18-digit cards (told apart by the number), or a passport with the
  // nationality, birth date and gender it states.
  function documentFields(prefix) {
    return `${field(prefix + "id_type", "证件类型", `<select id="${prefix}id_type" name="${prefix}id_type">
        <option value="">居民身份证 / 港澳台居民居住证 / 外国人永久居留身份证</option>
        <option value="passport">护照（外籍职工）</option></select>`)}
      ${field(prefix + "id_number", "证件号码", `<input id="${prefix}id_number" name="${prefix}id_number" inputmode="text" autocomplete="off" maxlength="20" required>`)}
      <div class="passport" hidden>
        ${field(prefix + "nationality", "国籍（三位字母代码，如 USA、KOR）", `<input id="${prefix}nationality" name="${prefix}nationality" maxlength="3" autocomplete="off">`)}
        ${field(prefix + "birth_date", "出生日期", `<input id="${prefix}birth_date" name="${prefix}birth_date" type="date">`)}
        ${field(prefix + "gender", "性别", `<select id="${prefix}gender" name="${prefix}gender"><option value="">请选择</option><option value="M">男</option><option value="F">女</option></select>`)}
      </div>`;
  }

  function watchDocumentType(form, prefix) {
    const select = form.elements[prefix + "id_type"];
    select.addEventListener("change", () => { form.querySelector(".passport").hidden = select.value !== "passport"; });
  }

  function documentValues(form, prefix) {
    const v = (name) => (form.elements[prefix + name].value || "").trim() || null;
    const passport = v("id_type") === "passport";
    return {
      id_type: v("id_type"), id_number: v("id_number"),
      nationality: passport ? v("nationality") : null, birth_date: passport ? v("birth_date") : null, gender: passport ? v("gender") : null,
    };
  }

  function field(name, label, control) {
    return `<label for="${name}">${label}</label>${control}<div class="field-error" data-error-for="${name}"></div>`;
  }

  async function selfForm(area, c, user) {
    const person = await App.api("GET", `/api/people/${user.person_id}`);
    area.innerHTML = `
      <form id="confirm" class="card" novalidate>
        <h2>确认报名信息</h2>
        <div class="notice" hidden></div>
        <dl class="facts">
          <dt>姓名</dt><dd>${App.esc(person.name)}</dd>
          <dt>${App.esc(person.id_type_name)}</dt><dd class="mono">${App.esc(person.id_number)}</dd>
          <dt>手机号</dt><dd class="mono">${App.esc(person.mobile)}</dd>
          <dt>工作单位</dt><dd>${App.esc(person.employer_name || "—")}</dd>
          <dt>技能等级</dt><dd>${App.esc(Comp.LEVELS[person.skill_level] || "未取得")}</dd>
          <dt>工会会员</dt><dd>${person.union_member ? "是" : "否"}</dd>
          <dt>一线职工</dt><dd>${person.front_line ? "是" : "否"}</dd>
        </dl>
        <p class="muted">信息有误请联系所在工会更正，或在<a href="/my/data">“我的信息”</a>申请更正后再报名。</p>
        <p><button class="block" type="submit">确认信息并报名</button></p>
      </form>
      <div id="result" class="notice" hidden></div>`;
    const form = $("#confirm");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await submitRegistration(form, $("#result"), () => App.api("POST", `/api/competitions/${c.id}/registrations`, {}));
    });
  }

  async function officerForms(area, c) {
    const [people, enterprises] = await Promise.all([
      App.api("GET", "/api/people/?limit=500"), App.api("GET", "/api/signup/enterprises"),
    ]);
    area.innerHTML = `
      <form id="member" class="card" novalidate>
        <h2>为本工会会员报名</h2>
        <div class="notice" hidden></div>
        ${field("person_id", "会员", `<select id="person_id" name="person_id"><option value="">请选择</option>
          ${people.items.map((p) => `<option value="${p.id}">${App.esc(p.name)}（${App.esc(p.id_number)}）</option>`).join("")}</select>`)}
        <p><button type="submit">报名</button></p>
        <div id="member-result" class="notice" hidden></div>
      </form>
      <form id="newcomer" class="card" novalidate>
        <h2>为尚未登记的会员报名</h2>
        <div class="notice" hidden></div>
        ${field("person.name", "姓名", `<input id="person.name" name="person.name" required>`)}
        ${documentFields("person.")}
        ${field("person.mobile", "手机号", `<input id="person.mobile" name="person.mobile" type="tel" maxlength="11" required>`)}
        ${field("person.employer_id", "工作单位", `<select id="person.employer_id" name="person.employer_id"><option value="">（不在列表中）</option>
          ${enterprises.map((e) => `<option value="${e.id}">${App.esc(e.name)}</option>`).join("")}</select>`)}
        ${field("person.skill_level", "职业技能等级", `<select id="person.skill_level" name="person.skill_level">${Comp.levelOptions()}</select>`)}
        <label class="check"><input type="checkbox" name="person.union_member" checked> 工会会员</label>
        <label class="check"><input type="checkbox" name="person.front_line"> 一线职工</label>
        <div id="newcomer-consent"></div>
        <p><button type="submit">登记并报名</button></p>
        <div id="newcomer-result" class="notice" hidden></div>
      </form>
      <form id="upload" class="card" novalidate>
        <h2>批量报名（上传表格）</h2>
        <p>请使用平台模板：<a href="/api/registrations/template">下载 Excel 模板</a> · <a href="/api/registrations/template?format=csv">CSV 模板</a>。每个文件最多 5000 行、5 MB。</p>
        <div class="notice" hidden></div>
        ${field("file", "表格文件（.xlsx 或 .csv）", `<input id="file" name="file" type="file" accept=".xlsx,.csv" required>`)}
        <label class="check"><input type="checkbox" id="import_valid_only" name="import_valid_only"> 有错误时仅导入无误的行</label>
        <div id="upload-consent"></div>
        <p><button type="submit">上传并报名</button></p>
        <div id="upload-result"></div>
      </form>`;
    const member = $("#member");
    member.addEventListener("submit", async (event) => {
      event.preventDefault();
      const personId = Number(member.elements.person_id.value) || null;
      await submitRegistration(member, $("#member-result"), () => App.api("POST", `/api/competitions/${c.id}/registrations`, { person_id: personId }));
    });
    const newcomer = $("#newcomer");
    watchDocumentType(newcomer, "person.");
    const newcomerConsent = await Privacy.attestationBlock($("#newcomer-consent"), "newcomer_consent");
    const uploadConsent = await Privacy.attestationBlock($("#upload-consent"), "upload_consent");
    newcomer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const v = (name) => newcomer.elements[name].value.trim();
      const person = {
        ...documentValues(newcomer, "person."),
        name: v("person.name"), mobile: v("person.mobile"),
        employer_id: Number(v("person.employer_id")) || null, skill_level: Number(v("person.skill_level")) || null,
        union_member: newcomer.elements["person.union_member"].checked, front_line: newcomer.elements["person.front_line"].checked,
      };
      await submitRegistration(newcomer, $("#newcomer-result"), () => App.api("POST", `/api/competitions/${c.id}/registrations`, { person, members_consent: newcomerConsent() }));
    });
    const upload = $("#upload");
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(upload);
      const body = new FormData();
      if (upload.elements.file.files[0]) body.append("file", upload.elements.file.files[0]);
      body.append("import_valid_only", upload.elements.import_valid_only.checked ? "true" : "false");
      const attestation = uploadConsent();
      body.append("members_consent", attestation.confirmed ? "true" : "false");
      body.append("notice_version", attestation.notice_version);
      const out = $("#upload-result");
      try {
        const result = await App.api("POST", `/api/competitions/${c.id}/registrations/upload`, body);
        out.innerHTML = `<div class="notice ok">已导入 ${result.imported.length} 行（共 ${result.total_rows} 行）</div>` +
          rowTable(result.imported.map((r) => [r.row, r.name, r.registration_no, r.outcome === "waitlisted" ? `候补第 ${r.waitlist_position} 位` : (r.created ? "已报名" : "此前已报名")]), ["行", "姓名", "报名号", "结果"]) +
          (result.skipped.length ? `<h3>未导入的行</h3>` + errorTable(result.skipped) : "");
      } catch (error) {
        const errors = error.body.detail && error.body.detail.errors;
        App.showError(upload, error);
        out.innerHTML = errors ? errorTable(errors) : "";
      }
    });
  }

  function rowTable(rows, headers) {
    return `<div class="table-wrap"><table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join("")}</tr></thead>
      <tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${App.esc(v)}</td>`).join("")}</tr>`).join("")}</tbody></table></div>`;
  }

  function errorTable(errors) {
    return rowTable(errors.map((e) => [e.row, e.column, e.message]), ["行", "列", "问题"]);
  }

  // --- /my/registrations ----------------------------------------------------------------------------------
  async function mine() {
    const user = await App.header();
    if (!user) { location.href = "/login?next=/my/registrations"; return; }
    if (user.role !== "contestant") { $("#list").innerHTML = `<p class="muted">只有选手账号有“我的报名”。</p>`; return; }
    const items = await App.api("GET", "/api/my/registrations");
    $("#list").innerHTML = items.length ? items.map(myCard).join("") :
      `<p class="muted">还没有报名。<a href="/competitions">去看看正在报名的竞赛</a></p>`;
    for (const button of document.querySelectorAll("button[data-withdraw]")) {
      button.addEventListener("click", () => withdraw(items.find((r) => r.id === Number(button.dataset.withdraw))));
    }
  }

  function myCard(r) {
    const canWithdraw = ["accepted", "waitlisted"].includes(r.status) && ["open", "closed"].includes(r.competition_state);
    return `<article class="card registration" data-id="${r.id}">
      <div class="row"><h2 class="spacer"><a href="/competitions/${r.competition_id}">${App.esc(r.competition_title)}</a></h2>${Comp.statusBadge(r)}</div>
      <dl class="facts">
        <dt>报名号</dt><dd class="mono">${App.esc(r.registration_no)}</dd>
        <dt>资格审核</dt><dd>${Comp.reviewBadge(r)}${r.review_reason ? " " + App.esc(r.review_reason) : ""}</dd>
        ${r.attendance ? `<dt>检录</dt><dd>${App.esc(Comp.ATTENDANCE_NAMES[r.attendance])}</dd>` : ""}
        ${r.station_no ? `<dt>工位号</dt><dd class="station">${r.station_no}</dd>` : ""}
        <dt>报名时间</dt><dd>${App.when(r.created_at)}</dd>
      </dl>
      ${canWithdraw ? `<p><button class="secondary" type="button" data-withdraw="${r.id}">退出报名</button></p>` : ""}
    </article>`;
  }

  async function withdraw(r) {
    const ok = await App.confirm({
      title: `退出「${r.competition_title}」的报名？`, confirmText: "退出报名",
      details: ["退出后不能恢复，名额将由候补选手递补。", "如需再参加，只能在报名时间内重新报名（名额已满则进入候补）。"],
    });
    if (!ok) return;
    try {
      await App.api("POST", `/api/registrations/${r.id}/withdraw`, { version: r.version });
      await mine();
    } catch (error) {
      await App.confirm({ title: "退出报名未成功", message: error.message, tone: "normal", confirmText: "知道了", cancelText: "关闭" });
    }
  }

  return { list, detail, mine };
})();
