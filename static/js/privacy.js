// 个人信息保护: the notice and consent boxes shown before any form that collects personal data (PIPL arts.
// 14, 17, 29), the "my data" page and the organizers' answers to requests.
"use strict";

const Privacy = (() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const cache = {};

  async function notice(kind) {
    if (!cache[kind]) cache[kind] = App.api("GET", `/api/privacy/notices/${kind}`, undefined, { allowAnonymous: true });
    return cache[kind];
  }

  function noticeHtml(n) {
    return `<details class="notice" open><summary><strong>${App.esc(n.title)}</strong></summary>
      <dl class="facts">${n.sections.map((s) => `<dt>${App.esc(s.heading)}</dt><dd>${App.esc(s.body)}</dd>`).join("")}</dl></details>`;
  }

  // The person's own consent: the general box and, for the ID number, a separate one. Returns a getter.
  async function consentBlock(container) {
    const n = await notice("registration");
    container.innerHTML = `${noticeHtml(n)}
      <label class="check"><input type="checkbox" id="consent_general" name="consent_general"> 我已阅读并同意《${App.esc(n.title)}》</label>
      <p class="muted">${App.esc(n.sensitive_consent)}</p>
      <label class="check"><input type="checkbox" id="consent_sensitive" name="consent.sensitive_id"> 我单独同意平台处理我的身份证件号码（敏感个人信息）</label>
      <div class="field-error" data-error-for="consent"></div><div class="field-error" data-error-for="consent.sensitive_id"></div>`;
    return () => ({
      notice_version: n.version,
      personal_information: $("#consent_general", container).checked,
      sensitive_id: $("#consent_sensitive", container).checked,
    });
  }

  // A union officer's (or organizer's) confirmation that they hold the members' consent.
  async function attestationBlock(container, id) {
    const n = await notice("member_entry");
    container.innerHTML = `${noticeHtml(n)}
      <label class="check"><input type="checkbox" id="${id}" name="members_consent"> ${App.esc(n.attestation)}</label>
      <div class="field-error" data-error-for="members_consent"></div>`;
    return () => ({ notice_version: n.version, confirmed: $(`#${id}`, container).checked });
  }

  // --- /my/data ------------------------------------------------------------------------------------------
  function table(items) {
    if (!items.length) return `<p class="muted">（无）</p>`;
    const headers = [...new Set(items.flatMap((i) => Object.keys(i)))];
    const cell = (v) => App.esc(v === true ? "是" : v === false ? "否" : typeof v === "object" && v !== null ? JSON.stringify(v) : v ?? "");
    return `<div class="table-wrap"><table><thead><tr>${headers.map((h) => `<th>${App.esc(h)}</th>`).join("")}</tr></thead>
      <tbody>${items.map((i) => `<tr>${headers.map((h) => `<td>${cell(i[h])}</td>`).join("")}</tr>`).join("")}</tbody></table></div>`;
  }

  async function myData() {
    const user = await App.header();
    if (!user) { location.href = "/login?next=/my/data"; return; }
    let data;
    try { data = await App.api("GET", "/api/my/data"); } catch (error) {
      $("#person").innerHTML = `<div class="notice bad">${App.esc(error.message)}</div>`; return;
    }
    const p = data.person;
    $("#person").innerHTML = `<dl class="facts">
      <dt>姓名</dt><dd id="my-name">${App.esc(p.name)}</dd>
      <dt>证件</dt><dd>${App.esc(p.id_type_name)} <span class="mono">${App.esc(p.id_number)}</span></dd>
      <dt>手机号</dt><dd class="mono">${App.esc(p.mobile)}</dd>
      <dt>出生日期</dt><dd>${App.esc(p.birth_date)}</dd>
      <dt>工作单位</dt><dd>${App.esc(p.employer_name || "—")}</dd>
      <dt>工会会员</dt><dd>${p.union_member ? "是" : "否"}</dd></dl>
      <p class="muted">页面上的号码已打码；下载文件含完整号码（本人查阅也记入操作记录）。</p>`;
    $("#sections").innerHTML = data.sections.map((s) => `<h2>${App.esc(s.title)}</h2>${table(s.items)}`).join("") +
      `<h2>同意记录</h2>${table(data.consents.map((c) => ({ 事项: c.purpose, 告知: c.title, 版本: c.version, 时间: App.when(c.given_at) })))}` +
      `<h2>对我的信息的操作记录</h2>${table(data.access_log.map((a) => ({ 时间: App.when(a.at), 操作人: a.actor_name, 操作: a.action, 用途或理由: a.reason })))}`;
    $("#requests").innerHTML = table(data.requests.map((r) => ({ 类型: r.kind === "deletion" ? "删除" : "更正", 状态: { pending: "处理中", completed: "已完成", refused: "已拒绝" }[r.status], 答复: r.answer, 提交时间: App.when(r.created_at) })));
    const correction = $("#correction");
    correction.onsubmit = async (event) => {
      event.preventDefault();
      const changes = {};
      for (const key of ["name", "mobile", "other"]) { const v = correction.elements[`changes.${key}`].value.trim(); if (v) changes[key] = v; }
      await send(correction, { kind: "correction", changes, reason: correction.elements.reason.value });
    };
    const deletion = $("#deletion");
    deletion.onsubmit = async (event) => {
      event.preventDefault();
      if (!confirm("删除后账号将注销，报名和推荐记录中的个人信息将被删除（已公布的成绩、公示、表彰名单保留姓名和单位）。确定申请删除吗？")) return;
      await send(deletion, { kind: "deletion", reason: deletion.elements.reason.value });
    };
  }

  async function send(form, body) {
    App.clearErrors(form);
    try {
      await App.api("POST", "/api/my/requests", body);
      form.reset();
      await myData();
      const box = form.querySelector(".notice");
      box.className = "notice ok"; box.hidden = false; box.textContent = "申请已提交，组织者处理后将在此显示答复";
    } catch (error) { App.showError(form, error); }
  }

  // --- /organizer/privacy --------------------------------------------------------------------------------
  async function requests() {
    const user = await App.header();
    if (!user) { location.href = "/login?next=/organizer/privacy"; return; }
    const items = await App.api("GET", "/api/privacy/requests?status=pending");
    $("#list").innerHTML = items.length ? items.map((r) => `<article class="card" data-id="${r.id}">
      <h2>${App.esc(r.person_name)} · ${r.kind === "deletion" ? "删除申请" : "更正申请"}</h2>
      ${Object.keys(r.changes).length ? `<p>要求更正：${App.esc(JSON.stringify(r.changes))}</p>` : ""}
      ${r.reason ? `<p class="muted">理由：${App.esc(r.reason)}</p>` : ""}
      <form class="answer" novalidate><div class="notice" hidden></div>
        <label>答复</label><input name="answer" placeholder="拒绝时必须说明理由">
        <p class="row"><button type="submit" name="decision" value="complete">同意并执行</button>
        <button class="secondary" type="submit" name="decision" value="refuse">拒绝</button></p></form></article>`).join("")
      : `<p class="muted">没有待处理的申请</p>`;
    for (const form of document.querySelectorAll("form.answer")) {
      const id = Number(form.closest("article").dataset.id);
      const r = items.find((i) => i.id === id);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await App.api("POST", `/api/privacy/requests/${id}/answer`, { decision: event.submitter.value, answer: form.elements.answer.value, version: r.version });
          await requests();
        } catch (error) { App.showError(form, error); }
      });
    }
  }

  return { notice, consentBlock, attestationBlock, myData, requests };
})();
