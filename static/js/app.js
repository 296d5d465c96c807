// 亦城平台的公共脚本: the JSON API client, the header, the confirm dialog, form errors. No build step, no framework.
"use strict";

const App = (() => {
  function cookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `请求失败（${status}）`);
      this.status = status;
      this.body = body || {};
      this.code = this.body.code;
      this.field = this.body.field;
    }
  }

  // Every write carries the CSRF token from the cookie; a safe request first if the cookie is not set yet.
  async function api(method, path, body, options = {}) {
    if (method !== "GET" && !cookie("csrftoken")) await fetch("/login", { credentials: "same-origin" });
    const headers = { Accept: "application/json", "x-csrftoken": cookie("csrftoken") };
    let payload = body;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const { allowAnonymous, ...fetchOptions } = options;
    const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin", ...fetchOptions });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
    if (!response.ok) {
      if (response.status === 401) {
        if (!allowAnonymous) location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      }
      throw new ApiError(response.status, data);
    }
    return data;
  }

  // --- who is logged in ----------------------------------------------------------------------------------
  // GET /api/auth/me is public: the user, or null for a visitor (never a 401 the console would log).
  // `quiet` is kept for callers; it no longer changes anything. A user holding a temporary password
  // (change_required) is sent to 修改密码 first, from every page but that one.
  async function me({ quiet = false } = {}) {
    void quiet;
    let user = null;
    try {
      user = await api("GET", "/api/auth/me", undefined, { allowAnonymous: true });
    } catch {
      return null;
    }
    if (user && user.change_required && location.pathname !== PASSWORD_PAGE) {
      location.href = PASSWORD_PAGE + "?next=" + encodeURIComponent(location.pathname + location.search);
    }
    return user;
  }
  const PASSWORD_PAGE = "/account/password";

  // The zone's industries as { code: name } (GET /api/industries: organizers and union officers), asked once.
  let industryMap = null;
  async function industries() {
    if (!industryMap) {
      industryMap = api("GET", "/api/industries").then((list) => Object.fromEntries(list.map((i) => [i.code, i.name])));
      industryMap.catch(() => { industryMap = null; });
    }
    return industryMap;
  }

  const ROLE_NAMES = { organizer: "组织者", judge: "裁判", union_officer: "工会干部", expert: "评审专家", contestant: "选手" };
  const NAV = {
    organizer: [["/organizer/competitions", "竞赛管理"], ["/organizer/programmes", "评选管理"], ["/organizer/accounts", "账号管理"], ["/organizer/privacy", "个人信息申请"], ["/audit", "审计日志"]],
    union_officer: [["/competitions", "竞赛"], ["/union/nominations", "评选推荐"]],
    contestant: [["/competitions", "竞赛"], ["/my/registrations", "我的报名"], ["/my/data", "我的信息"]],
    judge: [["/judge", "评分"]],
    expert: [["/review", "专家评审"]],
  };

  // Fills <header class="bar"> with the title, the role's links and log-in / log-out. On a phone the links
  // fold behind a 菜单 button so the header stays one line. `public: true` (pages anyone may read) asks who
  // is logged in only when this browser has logged in before.
  async function header({ public: isPublic = false } = {}) {
    const bar = document.querySelector("header.bar");
    if (!bar) return null;
    const user = await me({ quiet: isPublic });
    const nav = bar.querySelector("nav") || bar.appendChild(document.createElement("nav"));
    nav.id = nav.id || "site-nav";
    nav.replaceChildren();
    for (const [href, text] of (user && NAV[user.role]) || [["/competitions", "竞赛"], ["/results", "成绩"], ["/awards", "评选"]]) {
      nav.append(link(href, text));
    }
    if (user) {
      nav.append(link(PASSWORD_PAGE, "修改密码"));
      const out = link("#", `退出（${user.display_name}）`);
      out.addEventListener("click", async (event) => {
        event.preventDefault();
        await api("POST", "/api/auth/logout");
        location.href = "/login";
      });
      nav.append(out);
    } else {
      nav.append(link("/login", "登录"));
    }
    menuToggle(bar, nav);
    return user;
  }

  function menuToggle(bar, nav) {
    let button = bar.querySelector("button.menu-toggle");
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "menu-toggle";
      button.textContent = "菜单";
      button.setAttribute("aria-controls", nav.id);
      button.addEventListener("click", () => {
        const open = bar.classList.toggle("open");
        button.setAttribute("aria-expanded", String(open));
      });
      bar.insertBefore(button, nav);
      document.addEventListener("click", (event) => { // a tap outside folds the menu away again
        if (bar.classList.contains("open") && !bar.contains(event.target)) {
          bar.classList.remove("open");
          button.setAttribute("aria-expanded", "false");
        }
      });
    }
    button.setAttribute("aria-expanded", "false");
    bar.classList.remove("open");
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (location.pathname === href) a.setAttribute("aria-current", "page");
    return a;
  }

  // --- the confirm dialog ----------------------------------------------------------------------------------
  // Every irreversible step asks first, saying what will happen. Resolves to null when cancelled, else to
  // { value, values } (what was typed into `input` / `inputs`, e.g. a reason). The confirm button names the
  // action and stays disabled for a moment, so a double tap on the page cannot confirm by accident.
  //   title: the question; message: one sentence; details: what will happen, as a list;
  //   confirmText: the action ("截止报名"); tone: "danger" (default) or "normal";
  //   input / inputs: { label, value, placeholder, required, requiredMessage, multiline, maxlength, inputmode }
  //   cancelText: null for a notice with one button; large: big buttons for a tablet (Tablet.confirm uses it)
  function confirm({
    title, message = "", details = [], confirmText = "确认", cancelText = "取消", tone = "danger", input = null, inputs = [],
    large = false,
  }) {
    const fields = input ? [input, ...inputs] : inputs;
    const dialog = document.createElement("dialog");
    dialog.className = `confirm-dialog ${tone}${large ? " large" : ""}`;
    dialog.setAttribute("aria-labelledby", "confirm-title");
    dialog.innerHTML = `
      <form method="dialog" novalidate>
        <h2 id="confirm-title">${esc(title)}</h2>
        ${message ? `<p class="confirm-message">${esc(message)}</p>` : ""}
        ${details.length ? `<ul class="confirm-details">${details.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>` : ""}
        ${fields.map(dialogField).join("")}
        <div class="confirm-actions">
          ${cancelText === null ? "" : `<button type="submit" value="cancel" class="secondary" data-dialog-cancel>${esc(cancelText)}</button>`}
          <button type="submit" value="ok" class="${tone === "danger" ? "danger" : ""}" data-dialog-ok disabled>${esc(confirmText)}</button>
        </div>
      </form>`;
    document.body.append(dialog);
    const ok = dialog.querySelector("[data-dialog-ok]");
    const boxes = [...dialog.querySelectorAll("[data-field]")];
    return new Promise((resolve) => {
      let answer = null;
      dialog.querySelector("form").addEventListener("submit", (event) => {
        if (!event.submitter || event.submitter.value !== "ok") return; // cancel just closes the dialog
        const values = boxes.map((box) => box.value.trim());
        const missing = fields.findIndex((f, i) => f.required && !values[i]);
        if (missing >= 0) {
          event.preventDefault();
          const box = boxes[missing];
          box.setAttribute("aria-invalid", "true");
          box.nextElementSibling.textContent = fields[missing].requiredMessage || `请填写${fields[missing].label}`;
          box.focus();
          return;
        }
        answer = { value: values[0] ?? "", values };
      });
      dialog.addEventListener("close", () => { dialog.remove(); resolve(answer); });
      dialog.showModal();
      (boxes[0] || dialog.querySelector("[data-dialog-cancel]") || ok).focus();
      setTimeout(() => { ok.disabled = false; }, 350);
    });
  }

  let fieldCount = 0;
  function dialogField(f) {
    const id = `confirm-field-${++fieldCount}`;
    const common = `id="${id}" data-field maxlength="${f.maxlength || 500}" placeholder="${esc(f.placeholder || "")}"`;
    const control = f.multiline
      ? `<textarea ${common} rows="3">${esc(f.value || "")}</textarea>`
      : `<input ${common} inputmode="${esc(f.inputmode || "text")}" value="${esc(f.value || "")}" autocomplete="off">`;
    return `<label for="${id}">${esc(f.label)}</label>${control}<div class="field-error" aria-live="assertive"></div>`;
  }

  // Scrolls a confirmation (or an error) into view and moves focus to it, so a screen reader reads it and
  // a phone user sees it without hunting.
  function reveal(element) {
    if (!element) return;
    if (element.tabIndex < 0 && !element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.scrollIntoView({ block: "center" });
    element.focus({ preventScroll: true });
  }

  // --- forms -----------------------------------------------------------------------------------------------
  // Shows an API error next to the field it names, and scrolls to it: the input named as the field, or as its
  // last part ("data.name", "members[0].mobile" -> "name", "mobile"); its [data-error-for] slot, else a slot
  // made right after the input. An error naming no input on the form goes to the form's .notice.
  function fieldInput(form, field) {
    if (!field) return null;
    const parts = String(field).replace(/\[\d+\]/g, "").split(".").filter(Boolean);
    const names = [String(field), parts.join("."), parts[parts.length - 1]].filter(Boolean);
    for (const name of names) {
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`) || form.querySelector(`#${CSS.escape(name)}`);
      if (input) return { input, name: input.name || name };
    }
    return null;
  }

  function showError(form, error) {
    clearErrors(form);
    const hit = fieldInput(form, error.field);
    if (hit) {
      const { input, name } = hit;
      input.setAttribute("aria-invalid", "true");
      let slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
      if (!slot) {
        slot = document.createElement("div");
        slot.className = "field-error";
        slot.setAttribute("data-error-for", name);
        slot.setAttribute("data-made", "");
        slot.setAttribute("aria-live", "assertive");
        input.insertAdjacentElement("afterend", slot);
      }
      slot.id = slot.id || `error-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (!described.includes(slot.id)) input.setAttribute("aria-describedby", [...described, slot.id].join(" "));
      slot.textContent = error.message;
      input.scrollIntoView({ block: "center" });
      input.focus({ preventScroll: true });
      return;
    }
    let box = form.querySelector(".notice");
    if (!box) {
      box = document.createElement("div");
      form.prepend(box);
    }
    box.className = "notice bad";
    box.hidden = false;
    box.textContent = error.message;
    reveal(box);
  }

  function clearErrors(form) {
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    form.querySelectorAll("[data-error-for]").forEach((el) => (el.textContent = ""));
    const box = form.querySelector(".notice");
    if (box) box.hidden = true;
  }

  function formData(form) {
    const data = {};
    for (const element of form.elements) {
      if (!element.name || element.disabled) continue;
      if (element.type === "checkbox") data[element.name] = element.checked;
      else if (element.type === "number") data[element.name] = element.value === "" ? null : Number(element.value);
      else if (element.value !== "") data[element.name] = element.value;
    }
    return data;
  }

  // Escapes text for HTML templates.
  function esc(value) {
    return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  const shanghai = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  function when(iso) { return iso ? shanghai.format(new Date(iso)) : ""; }

  // --- page furniture ----------------------------------------------------------------------------------------
  // A wide table scrolls inside its .table-wrap; the wrap is marked when it does, so the page can show a cue.
  function watchTables() {
    if (!("ResizeObserver" in window)) return;
    const mark = (wrap) => wrap.classList.toggle("scrolls", wrap.scrollWidth > wrap.clientWidth + 1);
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) mark(entry.target.closest(".table-wrap") || entry.target);
    });
    const watch = (root) => root.querySelectorAll(".table-wrap").forEach((wrap) => {
      if (wrap.dataset.watched) return;
      wrap.dataset.watched = "1";
      observer.observe(wrap);
      for (const child of wrap.children) observer.observe(child);
    });
    watch(document);
    let pending = false;
    new MutationObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; watch(document); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  // Pages this file cannot edit still get the icon (a page without one makes the browser ask for /favicon.ico).
  function favicon() {
    if (document.querySelector("link[rel~='icon']")) return;
    const icon = document.createElement("link");
    icon.rel = "icon";
    icon.type = "image/svg+xml";
    icon.href = "/static/favicon.svg";
    document.head.append(icon);
  }

  favicon();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watchTables);
  else watchTables();

  return {
    api, ApiError, me, header, confirm, reveal, showError, clearErrors, formData, esc, when, cookie, ROLE_NAMES,
    industries, PASSWORD_PAGE,
    rememberSession() {}, // kept for pages that still call it: /api/auth/me answers visitors without a 401
  };
})();
