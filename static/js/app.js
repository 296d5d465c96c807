// 亦城平台的公共脚本: the JSON API client, the header, form errors. No build step, no framework.
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
    const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin", ...options });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
    if (!response.ok) {
      if (response.status === 401 && !options.allowAnonymous) {
        location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      }
      throw new ApiError(response.status, data);
    }
    return data;
  }

  const ROLE_NAMES = { organizer: "组织者", judge: "裁判", union_officer: "工会干部", expert: "评审专家", contestant: "选手" };
  const NAV = {
    organizer: [["/organizer/competitions", "竞赛管理"], ["/organizer/programmes", "评选管理"], ["/organizer/privacy", "个人信息申请"], ["/audit", "审计日志"]],
    union_officer: [["/competitions", "竞赛"], ["/union/nominations", "评选推荐"]],
    contestant: [["/competitions", "竞赛"], ["/my/registrations", "我的报名"], ["/my/data", "我的信息"]],
    judge: [["/judge", "评分"]],
    expert: [["/review", "专家评审"]],
  };

  async function me() {
    try { return await api("GET", "/api/auth/me", undefined, { allowAnonymous: true }); } catch { return null; }
  }

  // Fills <header class="bar"> with the title, the role's links and log-in / log-out.
  async function header() {
    const bar = document.querySelector("header.bar");
    if (!bar) return null;
    const user = await me();
    const nav = bar.querySelector("nav") || bar.appendChild(document.createElement("nav"));
    nav.replaceChildren();
    for (const [href, text] of (user && NAV[user.role]) || [["/competitions", "竞赛"]]) nav.append(link(href, text));
    if (user) {
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
    return user;
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  // Shows an API error next to the field it names (input[name=field]) or in the form's .notice.
  function showError(form, error) {
    clearErrors(form);
    const input = error.field && form.querySelector(`[name="${CSS.escape(error.field)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      const slot = form.querySelector(`[data-error-for="${CSS.escape(error.field)}"]`);
      if (slot) { slot.textContent = error.message; return; }
    }
    let box = form.querySelector(".notice");
    if (!box) {
      box = document.createElement("div");
      form.prepend(box);
    }
    box.className = "notice bad";
    box.hidden = false;
    box.textContent = error.message;
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

  return { api, ApiError, me, header, showError, clearErrors, formData, esc, when, cookie, ROLE_NAMES };
})();
