// 节假日安排：日历库未收录的年份，由组织者按国务院办公厅通知录入放假和调休上班日期。
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  let entered = [];

  // "2027-02-05~2027-02-11" or one date per line -> ["2027-02-05", ...]
  function dates(text) {
    const out = [];
    for (const line of text.split(/[\n,，;；\s]+/).map((l) => l.trim()).filter(Boolean)) {
      const [from, to] = line.split(/[~～]/);
      if (!to) { out.push(from); continue; }
      const day = new Date(`${from}T00:00:00Z`);
      const end = new Date(`${to}T00:00:00Z`);
      if (Number.isNaN(day.getTime()) || Number.isNaN(end.getTime()) || end < day) { out.push(line); continue; }
      for (; day <= end; day.setUTCDate(day.getUTCDate() + 1)) out.push(day.toISOString().slice(0, 10));
    }
    return out;
  }

  async function load() {
    const status = await App.api("GET", "/api/calendar-years");
    entered = status.entered;
    $("#library").textContent = `日历库已收录 ${status.library_years[0]}–${status.library_years[1]} 年的法定节假日和调休安排；`
      + "其他年份须在国务院办公厅公布当年安排后在此录入，公示期方可计算。录入的安排优先于日历库。";
    $("#years tbody").innerHTML = entered.map((y) => `
      <tr><td>${y.year}</td><td class="small">${y.holidays.join("、")}</td><td class="small">${y.makeup_workdays.join("、") || "—"}</td>
      <td>${App.esc(y.source)}</td><td class="num">${y.version}</td>
      <td><button type="button" class="ghost small" data-edit="${y.year}">修改</button></td></tr>`).join("")
      || '<tr><td colspan="6" class="muted">尚未录入</td></tr>';
  }

  $("#years").addEventListener("click", (event) => {
    const button = event.target.closest("[data-edit]");
    if (!button) return;
    const y = entered.find((item) => item.year === Number(button.dataset.edit));
    const form = $("#year-form");
    form.version.value = y.version;
    $("#year").value = y.year;
    $("#holidays").value = y.holidays.join("\n");
    $("#makeup_workdays").value = y.makeup_workdays.join("\n");
    $("#source").value = y.source;
  });

  $("#year-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    App.clearErrors(form);
    const body = {
      year: Number($("#year").value),
      holidays: dates($("#holidays").value),
      makeup_workdays: dates($("#makeup_workdays").value),
      source: $("#source").value.trim(),
    };
    if (form.version.value) body.version = Number(form.version.value);
    try {
      const saved = await App.api("POST", "/api/calendar-years", body);
      form.reset();
      form.version.value = "";
      const box = form.querySelector(".notice");
      box.className = "notice ok";
      box.hidden = false;
      box.textContent = `已保存 ${saved.year} 年的安排（版本 ${saved.version}）`;
      await load();
    } catch (error) {
      const field = error.field ? error.field.replace(/\[\d+\]$/, "") : null;
      App.showError(form, field ? Object.assign(error, { field }) : error);
    }
  });

  App.header().then(load).catch((error) => { $("#library").textContent = error.message; });
})();
