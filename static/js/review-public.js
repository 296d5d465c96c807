// 公示与表彰名单（公开页面）：公示人选与异议表单、表彰名单。只显示姓名、工作单位和称号。
"use strict";

const ReviewPublic = (() => {
  const $ = (selector) => document.querySelector(selector);
  const programmeId = Number(location.pathname.split("/")[2]);

  function pageNotice(kind, text) {
    const box = $("#page-notice");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  const unitText = (n) => (n.notice_unit === "working_days" ? "个工作日" : "天");

  async function notice() {
    await App.header({ public: true });
    let data;
    try {
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
    $("#names tbody").innerHTML = data.items.map((item, index) => `
      <tr><td class="num">${index + 1}</td><td class="nowrap">${App.esc(item.name)}${item.moved_up ? ' <span class="badge warn">递补</span>' : ""}</td>
      <td>${App.esc(item.employer_name || "")}</td><td class="nowrap">${App.esc(item.award)}</td>
      <td class="no-print">${data.open_now ? `<button type="button" class="ghost small nowrap" data-object="${item.nomination_id}">异议</button>` : ""}</td></tr>`).join("");
    $("#notice").hidden = false;
    const select = $("#nomination_id");
    select.innerHTML = data.items.map((item) => `<option value="${item.nomination_id}">${App.esc(item.name)}（${App.esc(item.employer_name || "")}）</option>`).join("");
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
  }

  function wireObjectionForm() {
    const form = $("#objection-form");
    if (!form) return;
    $("#grounds").addEventListener("input", () => { $("#grounds-count").textContent = String($("#grounds").value.length); });
    $("#names").addEventListener("click", (event) => {
      const button = event.target.closest("[data-object]");
      if (!button) return;
      $("#nomination_id").value = button.dataset.object;
      $("#grounds").focus();
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
      try {
        const receipt = await App.api("POST", `/api/public/programmes/${programmeId}/objections`, body, { allowAnonymous: true });
        form.reset();
        $("#grounds-count").textContent = "0";
        const box = form.querySelector(".notice");
        box.className = "notice ok";
        box.hidden = false;
        box.textContent = `${receipt.message}（编号 ${receipt.id}，异议对象：${receipt.nominee_name}）`;
      } catch (error) {
        App.showError(form, error);
      }
    });
  }

  async function honours() {
    await App.header({ public: true });
    let roll;
    try {
      roll = await App.api("GET", `/api/public/programmes/${programmeId}/honours`, undefined, { allowAnonymous: true });
    } catch (error) {
      return pageNotice("bad", error.message);
    }
    document.title = `${roll.name}表彰名单 · 亦城平台`;
    $("#title").textContent = `${roll.name}表彰名单`;
    $("#facts").textContent = `共 ${roll.items.length} 人${roll.awarded_on ? ` · ${roll.awarded_on} 公布` : ""}`;
    $("#xlsx").href = `/api/public/programmes/${programmeId}/honours.xlsx`;
    $("#honours tbody").innerHTML = roll.items.map((item, index) => `
      <tr><td class="num">${index + 1}</td><td class="nowrap">${App.esc(item.name)}</td><td>${App.esc(item.employer_name || "")}</td>
      <td class="nowrap">${App.esc(item.award)}</td><td class="mono nowrap">${App.esc(item.certificate_no)}</td></tr>`).join("");
    $("#roll").hidden = false;
  }

  document.addEventListener("DOMContentLoaded", wireObjectionForm);
  if (document.readyState !== "loading") wireObjectionForm();
  return { notice, honours };
})();
