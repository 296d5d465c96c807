// 基层工会干部的评选推荐页: my union's quota per programme, nominate one member (with achievements and
// attachments), upload a spreadsheet with a row-by-row error table, my nominations.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  let programmes = [];
  let current = null; // the selected UnionProgrammeOut
  let results = []; // published competition results of the selected person

  async function start() {
    const user = await App.header();
    if (!user) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
    if (user.role !== "union_officer") {
      Awards.notice($("#page-notice"), "warn", "此页面供基层工会干部推荐本单位会员使用。");
      return;
    }
    programmes = await App.api("GET", "/api/union/programmes");
    renderProgrammes();
    const wanted = Number(new URLSearchParams(location.search).get("programme"));
    const first = programmes.find((p) => p.programme.id === wanted)
      || programmes.find((p) => p.nomination_open_now) || programmes[0];
    if (first) await select(first.programme.id);
    else Awards.notice($("#page-notice"), "warn", "目前没有面向本单位的评选项目。");
  }

  function renderProgrammes() {
    $("#programmes").innerHTML = programmes.map((p) => `
      <div class="card programme-card${current && current.programme.id === p.programme.id ? " selected" : ""}"
           data-programme="${p.programme.id}">
        <h3>${App.esc(p.programme.name)}</h3>
        <p class="small muted">${App.esc(p.programme.kind_name)} · ${App.esc(p.programme.state_name)}
          ${p.nomination_open_now ? '<span class="badge ok">推荐中</span>' : '<span class="badge">未在推荐期</span>'}</p>
        <p class="small">推荐时间：${App.when(p.programme.nomination_opens_at)} 至 ${App.when(p.programme.nomination_closes_at)}</p>
        <p class="quota" data-quota>${App.esc(Awards.quotaText(p.quota))}</p>
        ${(p.requests || []).map((r) => `<p class="notice warn small request">组织者请求：${App.esc(r)}</p>`).join("")}
        <button type="button" class="secondary" data-select="${p.programme.id}">选择</button>
      </div>`).join("");
    document.querySelectorAll("[data-select]").forEach((b) => b.addEventListener("click", () => select(Number(b.dataset.select))));
  }

  async function select(programmeId) {
    current = programmes.find((p) => p.programme.id === programmeId);
    renderProgrammes();
    $("#workspace").hidden = false;
    $("#programme-title").textContent = current.programme.name;
    showFacts();
    $("#deed").maxLength = current.deed_max_chars;
    countDeed();
    const base = `/api/programmes/${programmeId}/nominations/template`;
    $("#template-xlsx").href = base + "?format=xlsx";
    $("#template-csv").href = base + "?format=csv";
    const open = current.nomination_open_now;
    $("#nominate-card").hidden = !open;
    $("#upload-card").hidden = !open;
    if (open) await loadPeople("");
    await loadMine();
  }

  async function refreshQuota() {
    programmes = await App.api("GET", "/api/union/programmes");
    current = programmes.find((p) => p.programme.id === current.programme.id);
    renderProgrammes();
    showFacts();
  }

  function showFacts() {
    const rules = current.programme.eligibility_text.length ? `资格条件：${current.programme.eligibility_text.join("；")}。` : "";
    $("#programme-facts").textContent = `${Awards.quotaText(current.quota)}。事迹不超过 ${current.deed_max_chars} 字。${rules}`;
  }

  // --- one nomination -------------------------------------------------------------------------------------

  async function loadPeople(query) {
    const params = new URLSearchParams({ limit: 200 });
    if (query) params.set("q", query);
    const page = await App.api("GET", "/api/people/?" + params);
    const select = $("#person_id");
    select.innerHTML = '<option value="">请选择</option>' + page.items.map((p) =>
      `<option value="${p.id}">${App.esc(p.name)}（${App.esc(p.id_number)}${p.employer_name ? "，" + App.esc(p.employer_name) : ""}）</option>`).join("");
  }

  let searchTimer = null;
  $("#person-search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadPeople(event.target.value.trim()), 250);
  });

  $("#person_id").addEventListener("change", async (event) => {
    results = [];
    $("#results-box").hidden = true;
    const id = Number(event.target.value);
    if (!id) return;
    results = await App.api("GET", `/api/people/${id}/competition-results`);
    $("#results-list").innerHTML = results.map((r) =>
      `<li>${App.esc(r.title)}：第 ${r.rank ?? "—"} 名${r.prize ? "，" + App.esc(r.prize) : ""}${r.score ? "（" + App.esc(r.score) + " 分）" : ""}</li>`).join("");
    $("#results-box").hidden = results.length === 0;
  });

  function countDeed() {
    const max = current ? current.deed_max_chars : 0;
    $("#deed-count").textContent = `${$("#deed").value.length} / ${max} 字`;
  }
  $("#deed").addEventListener("input", countDeed);

  function lines(text) { return text.split(/\n+/).map((s) => s.trim()).filter(Boolean); }

  function honour(line) {
    const match = line.match(/^((?:19|20)\d{2})\s*年?\s*(.+)$/);
    return match ? { title: match[2].slice(0, 200), year: Number(match[1]) } : { title: line.slice(0, 200) };
  }

  // The officer confirms they hold the member's consent before entering their data (PIPL; accounts.consent).
  const nominateConsent = Privacy.attestationBlock($("#nominate-consent"), "nominate_consent");
  const uploadConsent = Privacy.attestationBlock($("#upload-consent"), "upload_consent");

  $("#nominate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    App.clearErrors(form);
    const personId = Number($("#person_id").value);
    if (!personId) { App.showError(form, { field: "person_id", message: "请选择被推荐人" }); return; }
    const patents = lines($("#patents").value).map((t) => ({ title: t.slice(0, 200) }));
    const body = {
      person_id: personId,
      deed: $("#deed").value,
      achievements: {
        competition_results: results.map((r) => ({
          competition_id: r.competition_id, title: r.title, rank: r.rank, prize: r.prize, tier: r.tier,
          score: r.score, year: r.year,
        })),
        patents,
        patent_count: Math.max(Number($("#patent_count").value || 0), patents.length),
        apprentices_trained: Number($("#apprentices_trained").value || 0),
        titles_honours: lines($("#honours").value).map(honour),
      },
      members_consent: (await nominateConsent)(),
    };
    const button = $("#nominate-submit");
    button.disabled = true;
    try {
      const result = await App.api("POST", `/api/programmes/${current.programme.id}/nominations`, body);
      const nomination = result.nomination;
      const files = [...$("#attachments").files];
      const failed = [];
      for (const file of files) {
        try { await uploadAttachment(nomination.id, file); } catch (error) { failed.push(error.message); }
      }
      const box = form.querySelector(".notice");
      const what = result.created ? "已推荐" : "此前已推荐";
      const attached = files.length ? `，附件 ${files.length - failed.length} 个` : "";
      Awards.notice(box, failed.length ? "warn" : "ok",
        `${what}：${nomination.name}（${nomination.eligibility_status === "eligible" ? "符合" : "不符合"}资格条件）${attached}`
        + (failed.length ? `。附件未上传：${failed.join("；")}` : ""));
      form.reset();
      results = [];
      $("#results-box").hidden = true;
      countDeed();
      await refreshQuota();
      await loadMine();
    } catch (error) {
      App.showError(form, error);
    } finally {
      button.disabled = false;
    }
  });

  async function uploadAttachment(nominationId, file) {
    const data = new FormData();
    data.append("file", file, file.name);
    return App.api("POST", `/api/nominations/${nominationId}/attachments`, data);
  }

  // --- the spreadsheet ------------------------------------------------------------------------------------

  $("#upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    App.clearErrors(form);
    $("#upload-errors").hidden = true;
    const file = $("#sheet").files[0];
    if (!file) { App.showError(form, { message: "请选择名单文件" }); return; }
    const data = new FormData();
    data.append("file", file, file.name);
    data.append("import_valid_only", $("#import_valid_only").checked ? "true" : "false");
    const attestation = (await uploadConsent)();
    data.append("members_consent", attestation.confirmed ? "true" : "false");
    data.append("notice_version", attestation.notice_version);
    const button = $("#upload-submit");
    button.disabled = true;
    try {
      const result = await App.api("POST", `/api/programmes/${current.programme.id}/nominations/upload`, data);
      const box = form.querySelector(".notice");
      Awards.notice(box, result.errors.length ? "warn" : "ok",
        `导入完成：新推荐 ${result.created} 人，此前已推荐 ${result.existing} 人，新登记人员 ${result.people_created} 人`
        + (result.errors.length ? `；跳过 ${new Set(result.errors.map((e) => e.row)).size} 行（见问题清单）` : ""));
      showErrors(result.errors);
      await refreshQuota();
      await loadMine();
    } catch (error) {
      App.showError(form, error);
      if (error.body.detail && error.body.detail.errors) showErrors(error.body.detail.errors);
    } finally {
      button.disabled = false;
    }
  });

  function showErrors(errors) {
    $("#upload-errors tbody").innerHTML = Awards.errorRows(errors);
    $("#upload-errors").hidden = errors.length === 0;
  }

  // --- my nominations ---------------------------------------------------------------------------------------

  async function loadMine() {
    const page = await App.api("GET", `/api/programmes/${current.programme.id}/nominations?limit=500`);
    const open = current.nomination_open_now;
    $("#mine tbody").innerHTML = page.items.map((n) => `
      <tr data-nomination="${n.id}">
        <td>${App.esc(n.name)}${n.source === "direct" ? ' <span class="badge">直接推荐</span>' : ""}</td>
        <td class="mono">${App.esc(n.id_number)}</td>
        <td>${Awards.eligibilityBadge(n)}${Awards.reasons(n)}</td>
        <td>${App.esc(Awards.STATUS_NAMES[n.status] || n.status)}</td>
        <td class="num" data-attachments>${n.attachments}</td>
        <td class="actions">${open ? `
          <label class="button secondary file-button">添加附件<input type="file" hidden data-attach="${n.id}"
            accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"></label>
          <button type="button" class="ghost" data-withdraw="${n.id}" data-version="${n.version}">撤回</button>` : ""}
          <div class="field-error" data-row-error></div></td>
      </tr>`).join("") || '<tr><td colspan="6" class="muted">尚未推荐</td></tr>';
    $("#mine-summary").textContent = `共 ${page.total} 人；符合条件 ${page.counts.eligible} 人，不符合 ${page.counts.ineligible} 人`;
    document.querySelectorAll("[data-attach]").forEach((input) => input.addEventListener("change", async () => {
      const row = input.closest("tr");
      row.querySelector("[data-row-error]").textContent = "";
      try {
        for (const file of input.files) await uploadAttachment(Number(input.dataset.attach), file);
        await loadMine();
      } catch (error) {
        row.querySelector("[data-row-error]").textContent = error.message;
      }
    }));
    document.querySelectorAll("[data-withdraw]").forEach((button) => button.addEventListener("click", async () => {
      const row = button.closest("tr");
      const ok = await App.confirm({
        title: "撤回这份推荐？", confirmText: "撤回推荐",
        details: ["撤回后不能恢复；推荐名额立即释放，可以推荐其他人。", "如需再次推荐此人，须在推荐截止前重新填写。"],
      });
      if (!ok) return;
      try {
        await App.api("POST", `/api/nominations/${button.dataset.withdraw}/withdraw`, { version: Number(button.dataset.version) });
        await refreshQuota();
        await loadMine();
      } catch (error) {
        row.querySelector("[data-row-error]").textContent = error.message;
      }
    }));
  }

  start();
})();
