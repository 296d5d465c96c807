// 账号管理 (organizers): create, import, deactivate, reactivate, reset; a temporary password is shown once.
"use strict";

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  let unions = [];
  let me = null;

  function notice(kind, text) {
    const box = $("#page-notice");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
    if (text) App.reveal(box);
  }

  // Shows the temporary passwords just made: once, with a copy button; they are not kept anywhere.
  function showIssued(title, issued) {
    const box = $("#issued");
    box.hidden = false;
    box.innerHTML = `<h2>${App.esc(title)}</h2>
      <p class="notice warn">临时密码只显示这一次，请现在抄下或复制后交给本人；对方首次登录须修改。</p>
      <div class="table-wrap"><table><thead><tr><th>姓名</th><th>用户名</th><th>角色</th><th>临时密码</th></tr></thead><tbody>
      ${issued.map((i) => `<tr><td>${App.esc(i.user.display_name)}</td><td>${App.esc(i.user.username)}</td>
        <td>${App.esc(i.user.role_name)}</td><td><code class="temporary-password">${App.esc(i.temporary_password)}</code></td></tr>`).join("")}
      </tbody></table></div>
      <p><button type="button" class="secondary" id="copy-issued">复制全部</button> <button type="button" class="secondary" id="hide-issued">已记下，隐藏</button></p>`;
    $("#copy-issued").addEventListener("click", async () => {
      const text = issued.map((i) => `${i.user.display_name}\t${i.user.username}\t${i.temporary_password}`).join("\n");
      try { await navigator.clipboard.writeText(text); $("#copy-issued").textContent = "已复制"; } catch { $("#copy-issued").textContent = "请手动抄写"; }
    });
    $("#hide-issued").addEventListener("click", () => { box.hidden = true; box.innerHTML = ""; });
    App.reveal(box);
  }

  function stateText(u) {
    if (!u.active) return `<span class="badge bad">已停用</span>`;
    return u.change_required ? `<span class="badge">待改临时密码</span>` : `<span class="badge ok">启用</span>`;
  }

  async function loadUsers() {
    const params = new URLSearchParams();
    if ($("#filter-role").value) params.set("role", $("#filter-role").value);
    if ($("#filter-active").value) params.set("active", $("#filter-active").value);
    const users = await App.api("GET", `/api/users/?${params}`);
    const body = $("#users tbody");
    body.innerHTML = users.length ? users.map((u) => {
      const own = me && u.id === me.id;
      const staff = ["judge", "expert", "union_officer"].includes(u.role);
      const actions = own ? `<span class="muted">本人</span>` : [
        u.active
          ? `<button type="button" class="secondary danger" data-act="deactivate" data-id="${u.id}">停用</button>`
          : `<button type="button" class="secondary" data-act="reactivate" data-id="${u.id}">重新启用</button>`,
        staff || u.role === "organizer" ? `<button type="button" class="secondary" data-act="reset" data-id="${u.id}">重置密码</button>` : "",
      ].join(" ");
      return `<tr data-user="${App.esc(u.username)}"><td>${App.esc(u.display_name)}</td><td>${App.esc(u.username)}</td>
        <td>${App.esc(u.role_name)}</td><td>${stateText(u)}</td><td>${actions}</td></tr>`;
    }).join("") : `<tr><td colspan="5" class="muted">没有符合条件的账号</td></tr>`;
    body.querySelectorAll("button[data-act]").forEach((button) => {
      const user = users.find((u) => u.id === Number(button.dataset.id));
      button.addEventListener("click", () => act(button.dataset.act, user));
    });
  }

  async function act(kind, user) {
    const who = `${user.display_name}（${user.username}，${user.role_name}）`;
    if (kind === "deactivate") {
      const answer = await App.confirm({
        title: `停用账号：${who}？`, confirmText: "停用账号",
        details: ["该账号立即不能登录，已登录的设备全部退出。", "账号和历史记录保留，可随时重新启用；操作记入审计日志。"],
        input: { label: "停用原因（选填）", placeholder: "如：已调离", maxlength: 200 },
      });
      if (!answer) return;
      await run(() => App.api("POST", `/api/users/${user.id}/deactivate`, { version: user.version, reason: answer.value || "" }), `已停用 ${who}`);
    } else if (kind === "reactivate") {
      const answer = await App.confirm({
        title: `重新启用账号：${who}？`, confirmText: "重新启用", tone: "normal",
        details: ["该账号可再次用原密码登录；操作记入审计日志。"],
      });
      if (!answer) return;
      await run(() => App.api("POST", `/api/users/${user.id}/reactivate`, { version: user.version }), `已重新启用 ${who}`);
    } else if (kind === "reset") {
      const answer = await App.confirm({
        title: `重置密码：${who}？`, confirmText: "重置密码",
        details: ["原密码立即失效，已登录的设备全部退出。", "平台生成新的临时密码，只显示一次；对方登录后须修改。"],
      });
      if (!answer) return;
      try {
        const issued = await App.api("POST", `/api/users/${user.id}/reset-password`, { version: user.version });
        showIssued("新的临时密码", [issued]);
        await loadUsers();
      } catch (error) { notice("bad", error.message); await loadUsers(); }
    }
  }

  async function run(call, doneText) {
    try {
      await call();
      notice("ok", doneText);
    } catch (error) {
      notice("bad", error.message);
    }
    await loadUsers();
  }

  function syncUnionBox() {
    $("#union-box").hidden = $("#role").value !== "union_officer";
  }

  async function start() {
    me = await App.header();
    if (!me) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
    if (me.role !== "organizer") { $("main").innerHTML = `<div class="notice bad">只有组织者可以管理账号。</div>`; return; }
    unions = await App.api("GET", "/api/unions/");
    $("#union_id").innerHTML = `<option value="">（请选择）</option>` + unions.map((u) => `<option value="${u.id}">${App.esc(u.name)}</option>`).join("");
    syncUnionBox();
    $("#role").addEventListener("change", syncUnionBox);
    $("#filter-role").addEventListener("change", loadUsers);
    $("#filter-active").addEventListener("change", loadUsers);

    const create = $("#create");
    create.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(create);
      const data = App.formData(create);
      if (data.role !== "union_officer") delete data.union_id;
      else if (data.union_id) data.union_id = Number(data.union_id);
      if (!data.display_name) return App.showError(create, { field: "display_name", message: "请填写姓名" });
      if (!data.username) return App.showError(create, { field: "username", message: "请填写用户名" });
      try {
        const issued = await App.api("POST", "/api/users/staff", data);
        create.reset();
        syncUnionBox();
        showIssued("账号已建立", [issued]);
        await loadUsers();
      } catch (error) { App.showError(create, error); }
    });

    const upload = $("#import");
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      App.clearErrors(upload);
      $("#import-errors").innerHTML = "";
      const file = $("#file").files[0];
      if (!file) return App.showError(upload, { field: "file", message: "请选择要导入的表格文件" });
      const form = new FormData();
      form.append("file", file);
      try {
        const result = await App.api("POST", "/api/users/import", form);
        if (result.errors.length) {
          const names = { username: "用户名", display_name: "姓名", role: "角色", union: "所属工会", file: "文件" };
          $("#import-errors").innerHTML = `<div class="notice bad">表格有 ${result.errors.length} 处问题，未导入任何账号。请改正后重新上传。</div>
            <div class="table-wrap"><table><thead><tr><th>行</th><th>列</th><th>问题</th></tr></thead><tbody>
            ${result.errors.map((e) => `<tr><td>${e.row}</td><td>${App.esc(names[e.field] || e.field)}</td><td>${App.esc(e.message)}</td></tr>`).join("")}
            </tbody></table></div>`;
          App.reveal($("#import-errors"));
          return;
        }
        upload.reset();
        showIssued(`已导入 ${result.created.length} 个账号`, result.created);
        await loadUsers();
      } catch (error) { App.showError(upload, error); }
    });
    await loadUsers();
  }

  start();
})();
