// What the two tablet pages share besides the outbox (裁判评分 judge.js, 专家评审 review.js): the offline shell
// (the service worker /tablet-sw.js), a confirm dialog with big buttons, a 退出 that asks first, and the
// score sheet's shared parts (judgement buttons and their meaning, running totals, the submitted state).
//
//   Tablet.install("/judge", (online) => outbox.setOnline(online));   // early: the shell starts caching
//   Tablet.keep(["/api/auth/me", ...]);     // once the page has loaded: what must open offline after a reload
//   await Tablet.confirm({ title, text, ok, cancel })                  // true when the user chose `ok`
//   Tablet.guardLogout(() => ({ title, text }))                        // the header's 退出 asks first
//
"use strict";

const Tablet = (() => {
  const WORKER = "/tablet-sw.js";
  // What a judge must know before 退出 (the judge's tablet and the chief judge's page say it alike).
  const LINK_SPENT = "登录二维码只能使用一次，您扫过的二维码已经失效。退出后，这台平板需要扫描新的二维码才能继续评分：请向裁判长或组织者索取。";
  let controlled = Promise.resolve(false);

  // Plain-HTTP tablets have no service worker (browsers allow it on HTTPS and localhost only): the page then
  // needs the network to open, and the outbox still keeps every mark.
  function install(scope, onNetwork) {
    if (!("serviceWorker" in navigator)) return;
    const container = navigator.serviceWorker;
    container.addEventListener("message", (event) => {
      if (!event.data || event.data.type !== "yc-network") return;
      // A read that left before the network dropped may answer after: the device's own word wins.
      if (event.data.online && !navigator.onLine) return;
      onNetwork(event.data.online);
    });
    container.startMessages();
    const already = Boolean(container.controller);
    controlled = already
      ? Promise.resolve(false)
      : new Promise((resolve) => container.addEventListener("controllerchange", () => resolve(true), { once: true }));
    container.register(WORKER, { scope }).catch(() => {}); // no worker: the page still works online
  }

  // On the first visit the page loaded before the worker took over, so its reads are not cached yet: read
  // them again through the worker. Marks <html data-offline="ready"> when an offline reload would work.
  async function keep(urls) {
    if (!("serviceWorker" in navigator)) return;
    const fresh = await controlled;
    if (fresh) {
      const read = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).catch(() => null);
      const [who, ...rest] = urls; // who is logged in first: the worker empties the cache when that changes
      await read(who);
      await Promise.all(rest.map(read));
    }
    document.documentElement.dataset.offline = "ready";
  }

  // A logged-out tablet keeps none of the reads the worker cached (the outbox keeps what the user wrote and
  // has not sent, per user, to send when that user logs in again).
  async function forget() {
    if (window.caches) await caches.delete("yc-tablet-data"); // the worker's DATA_CACHE
  }

  // --- the confirm dialog: App.confirm (the one dialog of every page), with large buttons -----------------
  // Resolves to true when the user chose `ok`; `cancel: null` makes a notice with one button.
  async function confirm({ title, text, ok = "确定", cancel = "取消" }) {
    const answer = await App.confirm({
      title, details: [].concat(text), confirmText: ok, cancelText: cancel, tone: "normal", large: true,
    });
    return answer !== null;
  }

  // --- 退出: the header's link (built by App.header) asks first ------------------------------------------------
  function guardLogout(describe) {
    const link = [...document.querySelectorAll("header.bar nav a")].find((a) => a.textContent.startsWith("退出"));
    if (!link) return;
    const guarded = link.cloneNode(true); // a clone carries none of App.header's listeners
    guarded.classList.add("logout");
    guarded.addEventListener("click", async (event) => {
      event.preventDefault();
      const { title, text } = describe();
      if (!(await confirm({ title, text, ok: "退出登录", cancel: "取消，继续工作" }))) return;
      try {
        await App.api("POST", "/api/auth/logout");
      } catch (error) {
        const offline = !(error instanceof App.ApiError);
        await confirm({
          title: "未能退出",
          text: offline ? "当前离线，无法退出登录。请联网后再退出。" : error.message,
          ok: "知道了",
          cancel: null,
        });
        return;
      }
      await forget();
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
    });
    link.replaceWith(guarded);
  }

  // --- the score sheet's shared parts (ids: #marks, #levels, #levels-list, #sheet-done*, #sheet-total ...) -------
  // What judgement levels 0–3 mean, from Rubric.LEVELS.
  function levels(modules) {
    document.getElementById("levels-list").innerHTML = Rubric.LEVELS.map((level) =>
      `<div><dt>${level.value} 分</dt><dd>${App.esc(level.text)}</dd></div>`).join("");
    document.getElementById("levels").hidden = !modules.some((m) => m.aspects.some((a) => a.kind === "judgement"));
  }

  // A module's legend, with a slot for its running subtotal.
  function legend(module) {
    return `<legend><span>${App.esc(module.name || module.id)}</span>
      <span class="judge-subtotal" data-module-total="${App.esc(module.id)}"></span></legend>`;
  }

  // The big buttons of a judgement aspect (0–3, each with what it means) or a pass / fail aspect.
  function choices(aspect, value, disabled) {
    const options = aspect.kind === "judgement"
      ? Rubric.LEVELS.map((l) => [l.value, `<b>${l.value}</b><small>${l.short}</small>`, `${l.value} 分：${l.text}`])
      : [[String(aspect.max_mark), `达标 ${aspect.max_mark}`, "达标"], ["0", "不达标 0", "不达标"]];
    return `<div class="judge-choice ${aspect.kind}" id="aspect-${App.esc(aspect.id)}" role="group">${options.map(([v, html, title]) => `
      <button type="button" data-aspect="${App.esc(aspect.id)}" data-value="${v}" ${disabled} title="${title}"
        aria-pressed="${value !== undefined && value !== "" && Number(value) === Number(v)}">${html}</button>`).join("")}</div>`;
  }

  // The running total of what the sheet shows now (a number being typed included), per module and overall.
  function totals(modules) {
    const marks = {};
    for (const aspect of modules.flatMap((m) => m.aspects)) {
      const control = document.getElementById(`aspect-${aspect.id}`);
      const pressed = control && control.querySelector("[aria-pressed=true]");
      if (control && control.tagName === "INPUT") marks[aspect.id] = control.value;
      else if (pressed) marks[aspect.id] = pressed.dataset.value;
    }
    const sheet = Rubric.totals(modules, marks);
    for (const module of modules) {
      const part = sheet.modules[module.id];
      const slot = document.querySelector(`[data-module-total="${CSS.escape(module.id)}"]`);
      const most = part.max.n ? ` / ${Rubric.format(part.max)}` : ""; // a module of deductions only has no maximum
      if (slot) slot.textContent = `小计 ${Rubric.format(part.total)}${most}`;
    }
    document.getElementById("sheet-total").textContent = Rubric.format(sheet.total);
    document.getElementById("sheet-max").textContent = Rubric.format(sheet.max);
    document.getElementById("sheet-marked").textContent = `${sheet.marked}/${sheet.count}`;
  }

  // 已提交 ✓ and when: a submitted sheet reads as finished; changing it is an explicit 修改评分.
  function done(shown, { waiting = false, flagged = false, submittedAt = null } = {}) {
    const box = document.getElementById("sheet-done");
    box.hidden = !shown;
    if (!shown) return;
    box.classList.toggle("waiting", waiting || flagged);
    document.getElementById("sheet-done-title").textContent = waiting ? "已提交，待发送" : "已提交";
    const when = submittedAt ? `提交时间 ${App.when(submittedAt)}。` : "";
    document.getElementById("sheet-done-text").textContent = waiting
      ? "评分保存在本机，联网后自动发送，无需重复提交。"
      : flagged ? `${when}有评分项超差，请点「修改评分」复核。` : `${when}如需更改，请点「修改评分」。`;
  }

  return { LINK_SPENT, install, keep, forget, confirm, guardLogout, levels, legend, choices, totals, done };
})();
