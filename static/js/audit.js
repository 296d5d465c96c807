// 审计日志页: filters in words (record, action, person, dates), each entry as who / when / what, and the
// change as a field-by-field table in Chinese. The raw JSON stays one tap away for those who need it.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const LIMIT = 50;
  const NESTED_MAX = 12; // a nested value with more entries than this is summarised, not spread out
  let offset = 0;

  // --- filters -----------------------------------------------------------------------------------------------
  function fillFilters(users) {
    const byEntity = {};
    for (const code of Object.keys(AuditLabels.ACTIONS)) (byEntity[code.split(".")[0]] ||= []).push(code);
    $("#action").innerHTML = '<option value="">全部操作</option>' + Object.entries(byEntity).map(([prefix, codes]) =>
      `<optgroup label="${App.esc(AuditLabels.ENTITIES[prefix] || groupName(prefix))}">
        ${codes.map((c) => `<option value="${App.esc(c)}">${App.esc(AuditLabels.action(c))}</option>`).join("")}</optgroup>`).join("");
    $("#entity").innerHTML = '<option value="">全部对象</option>' + Object.entries(AuditLabels.ENTITIES)
      .map(([code, name]) => `<option value="${App.esc(code)}">${App.esc(name)}</option>`).join("");
    $("#actor").innerHTML = '<option value="">全部人员</option>' + users
      .map((u) => `<option value="${u.id}">${App.esc(u.display_name)}（${App.esc(App.ROLE_NAMES[u.role] || u.role)}，${App.esc(u.username)}）</option>`)
      .join("");
  }

  function groupName(prefix) {
    return { scheme: "评分标准", judge: "裁判", mark: "评分", sheet: "评分表", flag: "超差", contestant: "选手",
      results: "成绩", arbitration: "监督仲裁组", reviewer: "评审专家", shortlist: "建议名单", notice: "公示",
      attachment: "附件", contestant_facts: "选手" }[prefix] || prefix;
  }

  // A date picked in Beijing time, as the start of that day (or of the next, for "until").
  function dayStart(value, nextDay = false) {
    if (!value) return null;
    const day = new Date(`${value}T00:00:00+08:00`);
    if (nextDay) day.setUTCDate(day.getUTCDate() + 1);
    return day.toISOString();
  }

  function query() {
    const params = new URLSearchParams({ limit: LIMIT, offset });
    const set = (key, value) => { if (value) params.set(key, value); };
    set("entity", $("#entity").value);
    set("action", $("#action").value);
    set("actor_id", $("#actor").value);
    set("entity_id", $("#entity_id").value.trim());
    set("since", dayStart($("#since").value));
    set("until", dayStart($("#until").value, true));
    return params;
  }

  // --- one entry ---------------------------------------------------------------------------------------------
  function plain(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  // [path, value] pairs of a before / after value: nested objects spread out one level ("评分 · wiring"),
  // long lists and big objects summarised.
  function flatten(value, path = []) {
    if (!plain(value)) return [[path, value]];
    const entries = Object.entries(value);
    if (path.length >= 2 || (path.length && entries.length > NESTED_MAX)) return [[path, value]];
    return entries.flatMap(([key, inner]) => flatten(inner, [...path, key]));
  }

  function shown(entity, path, value) {
    if (Array.isArray(value)) {
      if (value.length && value.length <= NESTED_MAX && value.every((v) => !plain(v) && !Array.isArray(v))) {
        return value.map((v) => AuditLabels.value(entity, path[path.length - 1], v)).join("、");
      }
      return value.length ? `共 ${value.length} 项（见原始数据）` : "—";
    }
    if (plain(value)) return `共 ${Object.keys(value).length} 项（见原始数据）`;
    return AuditLabels.value(entity, path[path.length - 1], value);
  }

  function label(path) {
    // The first key is a field; a deeper key is usually a code of its own (an aspect, a registration number).
    return [AuditLabels.field(path[0]), ...path.slice(1)].join(" · ");
  }

  function changes(row) {
    const before = new Map(flatten(row.before ?? {}).map(([p, v]) => [p.join("."), [p, v]]));
    const after = new Map(flatten(row.after ?? {}).map(([p, v]) => [p.join("."), [p, v]]));
    const keys = [...new Set([...before.keys(), ...after.keys()])].filter((k) => k !== "");
    return keys.map((key) => {
      const path = (after.get(key) || before.get(key))[0];
      const old = before.has(key) ? shown(row.entity, path, before.get(key)[1]) : null;
      const now = after.has(key) ? shown(row.entity, path, after.get(key)[1]) : null;
      // Highlighted only when the value was there before and differs (an after-only field is context).
      return { label: label(path), old, now, changed: before.has(key) && old !== now };
    });
  }

  function diffTable(row) {
    const list = changes(row);
    if (!list.length) return "";
    const both = row.before != null && row.after != null;
    const head = both ? "<th>项目</th><th>变更前</th><th>变更后</th>" : `<th>项目</th><th>${row.after != null ? "内容" : "变更前"}</th>`;
    const body = list.map((c) => both
      ? `<tr class="${c.changed ? "changed" : ""}"><th scope="row">${App.esc(c.label)}</th><td>${App.esc(c.old ?? "—")}</td><td>${App.esc(c.now ?? "—")}</td></tr>`
      : `<tr><th scope="row">${App.esc(c.label)}</th><td>${App.esc(c.now ?? c.old ?? "—")}</td></tr>`).join("");
    return `<div class="table-wrap"><table class="audit-diff"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  }

  function entry(row) {
    const raw = JSON.stringify({ before: row.before, after: row.after }, null, 2);
    return `<article class="card audit-entry" data-action="${App.esc(row.action)}">
      <div class="audit-head">
        <strong class="audit-action">${App.esc(AuditLabels.action(row.action))}</strong>
        <span class="badge">${App.esc(AuditLabels.entity(row.entity))} #${App.esc(row.entity_id)}</span>
      </div>
      <div class="muted small">${App.esc(App.when(row.at))} · ${App.esc(row.actor_name)}</div>
      ${row.reason ? `<p class="audit-reason">理由：${App.esc(row.reason)}</p>` : ""}
      ${diffTable(row)}
      ${row.before != null || row.after != null ? `<details class="audit-raw"><summary>查看原始数据</summary>
        <p class="muted small">操作代码 <code>${App.esc(row.action)}</code></p><pre class="mono">${App.esc(raw)}</pre></details>` : ""}
    </article>`;
  }

  let latest = 0; // filters change faster than answers arrive: only the newest request is shown
  async function load() {
    const asked = ++latest;
    const page = await App.api("GET", "/api/audit/?" + query());
    if (asked !== latest) return;
    $("#summary").textContent = page.total
      ? `共 ${page.total} 条，显示第 ${offset + 1}–${offset + page.items.length} 条（最新在前）`
      : "没有符合条件的记录";
    $("#entries").innerHTML = page.items.map(entry).join("");
    $("#prev").disabled = offset === 0;
    $("#next").disabled = offset + LIMIT >= page.total;
  }

  async function start() {
    const user = await App.header();
    if (!user) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      return;
    }
    if (user.role !== "organizer") {
      $("main").innerHTML = '<div class="notice bad">只有组织者可以查看审计日志。</div>';
      return;
    }
    fillFilters(await App.api("GET", "/api/users/").catch(() => []));
    if (window.innerWidth < 760) $("#filter-box").open = false; // on a phone the entries come first
    const form = $("#filters");
    form.addEventListener("submit", (event) => { event.preventDefault(); offset = 0; load(); });
    form.addEventListener("change", () => { offset = 0; load(); });
    form.addEventListener("reset", () => setTimeout(() => { offset = 0; load(); }));
    $("#prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); load(); });
    $("#next").addEventListener("click", () => { offset += LIMIT; load(); });
    await load();
    document.body.dataset.ready = "1";
  }

  start().catch((error) => { $("#summary").textContent = error.message; });
})();
