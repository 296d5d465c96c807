// 公示与表彰名单（公开页面）：公示人选与异议表单、表彰名单。只显示姓名、工作单位和称号。
// Both lists can be searched by name or employer, scroll inside their own box however long they are, fold
// into one card per person on a phone, and print as a plain table.
"use strict";

const ReviewPublic = (() => {
  const $ = (selector) => document.querySelector(selector);
  const programmeId = Number(location.pathname.split("/")[2]);
  const NOTICE_STATES = ["public_notice", "awarded", "archived"];
  const HONOUR_STATES = ["awarded", "archived"];

  function pageNotice(kind, text) {
    const box = $("#page-notice");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  const unitText = (n) => (n.notice_unit === "working_days" ? "个工作日" : "天");

  // The programme's public facts first: a list that is not out yet is said in words, not asked for (a 404
  // the browser would log as an error).
  async function programmeIn(states, notYet) {
    const programme = await App.api("GET", `/api/public/programmes/${programmeId}`, undefined, { allowAnonymous: true });
    if (states.includes(programme.state)) return programme;
    document.title = `${programme.name} · 亦城平台`;
    pageNotice("warn", `${programme.name}：${notYet}（当前阶段：${programme.state_name}）。`);
    return null;
  }

  // Filters the rows of `table` by the search box; says how many are shown.
  function wireSearch(table, total) {
    const input = $("#search");
    const count = $("#search-count");
    const rows = [...table.tBodies[0].rows];
    const text = rows.map((row) => row.dataset.search);
    const apply = () => {
      const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row, i) => {
        const hit = words.every((w) => text[i].includes(w));
        row.hidden = !hit;
        shown += hit;
      });
      count.textContent = words.length ? `共 ${total} 人，找到 ${shown} 人` : `共 ${total} 人`;
      $("#no-match").hidden = shown > 0;
    };
    input.addEventListener("input", apply);
    apply();
  }

  const searchText = (item) => `${item.name} ${item.employer_name || ""}`.toLowerCase();

  // Who publishes the notice, and where and how to object: the programme's own 受理单位, telephone, address.
  function showOffice(data) {
    // A replacement's own period may run past the notice: objections are taken until the later day.
    const last = [data.notice_ends_on, ...data.items.map((item) => item.notice_ends_on)].filter(Boolean).sort().pop();
    const end = last ? `${last}（含）前` : "公示期内";
    const office = data.objection_office || data.issuing_body;
    $("#how-text").textContent = `对公示人选有异议的，请于 ${end}以书面形式（写明事实和理由，提倡署名并留下联系方式）向${office}反映，`
      + "或在本页在线提交。单位提出的异议须加盖公章。";
    const facts = [["受理单位", office], ["受理电话", data.objection_phone], ["受理地址", data.objection_address]]
      .filter(([, value]) => value);
    $("#office").innerHTML = facts.map(([key, value]) => key === "受理电话"
      ? `<dt>${key}</dt><dd><a href="tel:${App.esc(value.replace(/[^0-9+]/g, ""))}">${App.esc(value)}</a></dd>`
      : `<dt>${key}</dt><dd>${App.esc(value)}</dd>`).join("");
    $("#issuer").innerHTML = `${App.esc(data.issuing_body)}<br>${App.esc(data.notice_starts_on || "")}`;
  }

  async function notice() {
    await App.header({ public: true });
    let data;
    try {
      if (!(await programmeIn(NOTICE_STATES, "名单尚未公示"))) return;
      data = await App.api("GET", `/api/public/programmes/${programmeId}/notice`, undefined, { allowAnonymous: true });
    } catch (error) {
      return pageNotice("bad", error.message);
    }
    document.title = `${data.name}公示 · 亦城平台`;
    $("#title").textContent = `${data.name}拟表彰人选公示`;
    $("#period").textContent = data.notice_starts_on
      ? `公示期：${data.notice_starts_on} 至 ${data.notice_ends_on}（${data.notice_length} ${unitText(data)}）`
      : "";
    $("#intro").textContent = `经推荐、资格审查和专家评审，拟表彰以下 ${data.items.length} 名同志为“${data.kind_name}”，现予公示。`;
    const moved = (item) => !item.moved_up ? ""
      : ` <span class="badge warn">递补${item.notice_ends_on ? `，公示至 ${item.notice_ends_on}` : ""}</span>`;
    $("#names tbody").innerHTML = data.items.map((item, index) => `
      <tr data-search="${App.esc(searchText(item))}"><td class="num no">${index + 1}</td>
      <td class="name">${App.esc(item.name)}${moved(item)}</td>
      <td class="employer">${App.esc(item.employer_name || "")}</td><td class="award">${App.esc(item.award)}</td>
      <td class="act no-print">${item.open_now ? `<button type="button" class="ghost small" data-object="${item.nomination_id}"
        aria-label="对 ${App.esc(item.name)} 提出异议">异议</button>` : ""}</td></tr>`).join("");
    const changes = $("#changes");
    changes.innerHTML = (data.changes || []).map((c) => `<li><strong>${App.esc(c.on)}</strong> ${App.esc(c.text)}</li>`).join("");
    changes.hidden = !(data.changes || []).length;
    showOffice(data);
    $("#notice").hidden = false;
    wireSearch($("#names"), data.items.length);
    const select = $("#nomination_id");
    select.innerHTML = data.items.filter((item) => item.open_now)
      .map((item) => `<option value="${item.nomination_id}">${App.esc(item.name)}（${App.esc(item.employer_name || "")}）</option>`).join("");
    $("#grounds-max").textContent = String(data.grounds_max_chars);
    if (data.open_now) {
      $("#objection").hidden = false;
    } else {
      const closed = $("#closed");
      closed.hidden = false;
      closed.textContent = data.state !== "public_notice"
        ? "公示已结束。"
        : data.notice_starts_on && data.today < data.notice_starts_on
          ? `公示期自 ${data.notice_starts_on} 开始，届时可提出异议。`
          : "公示期已结束，不再受理异议。";
    }
    document.body.dataset.ready = "1";
  }

  function wireObjectionForm() {
    const form = $("#objection-form");
    if (!form) return;
    $("#grounds").addEventListener("input", () => { $("#grounds-count").textContent = String($("#grounds").value.length); });
    $("#names").addEventListener("click", (event) => {
      const button = event.target.closest("[data-object]");
      if (!button) return;
      $("#nomination_id").value = button.dataset.object;
      $("#objection").scrollIntoView({ block: "start" });
      $("#grounds").focus({ preventScroll: true });
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(form);
      const body = {
        nomination_id: Number($("#nomination_id").value),
        grounds: $("#grounds").value,
        objector_name: $("#objector_name").value.trim(),
        objector_organisation: $("#objector_organisation").value.trim(),
        contact: $("#contact").value.trim(),
        anonymous: $("#anonymous").checked,
      };
      const box = form.querySelector(".notice");
      if (!body.grounds.trim()) {
        // Nothing to confirm yet: said next to the field (the server checks the length and the rest).
        App.showError(form, { field: "grounds", message: "请写明异议的事实和理由" });
        return App.reveal(form.querySelector("[aria-invalid=true]") || box);
      }
      const nominee = $("#nomination_id").selectedOptions[0]?.textContent || "";
      const ok = await App.confirm({
        title: `对 ${nominee} 提出异议？`, confirmText: "提交异议", tone: "normal",
        details: ["异议提交后不能撤回或修改，由组织者依规核查处理。",
          body.anonymous || !(body.objector_name || body.objector_organisation) ? "未署名，将作为匿名异议登记。" : "联系方式仅供核实使用，不会公开。"],
      });
      if (!ok) return;
      try {
        const receipt = await App.api("POST", `/api/public/programmes/${programmeId}/objections`, body, { allowAnonymous: true });
        form.reset();
        $("#grounds-count").textContent = "0";
        box.className = "notice ok";
        box.hidden = false;
        box.textContent = `${receipt.message}（编号 ${receipt.id}，异议对象：${receipt.nominee_name}）`;
        App.reveal(box);
      } catch (error) {
        App.showError(form, error);
        App.reveal(form.querySelector("[aria-invalid=true]") || box);
      }
    });
  }

  async function honours() {
    await App.header({ public: true });
    let roll;
    try {
      if (!(await programmeIn(HONOUR_STATES, "表彰名单尚未公布"))) return;
      roll = await App.api("GET", `/api/public/programmes/${programmeId}/honours`, undefined, { allowAnonymous: true });
    } catch (error) {
      return pageNotice("bad", error.message);
    }
    document.title = `${roll.name}表彰名单 · 亦城平台`;
    $("#title").textContent = `${roll.name}表彰名单`;
    $("#facts").textContent = `共 ${roll.items.length} 人 · ${roll.issuing_body}${roll.awarded_on ? ` · ${roll.awarded_on} 公布` : ""}`;
    $("#issuer").innerHTML = `${App.esc(roll.issuing_body)}<br>${App.esc(roll.awarded_on || "")}`;
    $("#xlsx").href = `/api/public/programmes/${programmeId}/honours.xlsx`;
    $("#honours tbody").innerHTML = roll.items.map((item, index) => `
      <tr data-search="${App.esc(searchText(item))}"><td class="num no">${index + 1}</td><td class="name">${App.esc(item.name)}</td>
      <td class="employer">${App.esc(item.employer_name || "")}</td>
      <td class="award">${App.esc(item.award)}</td><td class="mono cert">${App.esc(item.certificate_no)}</td></tr>`).join("");
    $("#roll").hidden = false;
    wireSearch($("#honours"), roll.items.length);
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", wireObjectionForm);
  if (document.readyState !== "loading") wireObjectionForm();
  return { notice, honours };
})();
