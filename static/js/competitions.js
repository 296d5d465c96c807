// 竞赛页面的公共部分: badges, dates, the id in the path, eligibility errors. Uses App from app.js.
"use strict";

const Comp = (() => {
  const LEVELS = { 5: "初级工（五级）", 4: "中级工（四级）", 3: "高级工（三级）", 2: "技师（二级）", 1: "高级技师（一级）" };
  const STATE_CLASS = { open: "ok", closed: "warn", checked_in: "warn", in_progress: "warn", finished: "", draft: "" };
  const TRANSITION_LABELS = {
    open: "开放报名", closed: "截止报名", checked_in: "检录完成", in_progress: "开始比赛", finished: "结束比赛",
  };
  // What each lifecycle step does, said before it is taken (App.confirm). No step can be undone, except that
  // a closed registration may be reopened with a reason.
  const TRANSITION_CONFIRM = {
    open: {
      title: "开放报名？",
      details: ["选手即可在报名时间内在线报名，名额按报名先后占用。", "此后修改竞赛环节、权重或参赛条件须说明理由（记入审计日志）。", "竞赛不能再回到草稿状态。"],
    },
    closed: {
      title: "截止报名？",
      details: ["选手不能再报名或退出报名，候补名单不再递补。", "报名名单锁定，进入检录准备；如需恢复报名，须说明理由后重新开放。"],
    },
    checked_in: {
      title: "完成检录？",
      details: ["检录结束，之后可以抽签确定工位号和加密号。", "竞赛环节和参赛条件从此不能再修改，也不能重新开放报名。"],
    },
    in_progress: {
      title: "开始比赛？",
      details: ["裁判可以开始评分；第一条评分录入后评分标准即锁定。", "不能再检录或重新抽签。"],
    },
    finished: {
      title: "结束比赛？",
      details: ["比赛结束后不能再回到进行中，竞赛信息不能再修改。", "成绩的签字确认、解密与发布在“成绩与发布”中进行。"],
    },
  };
  const REVIEW_NAMES = { pending: "待审核", approved: "已通过", rejected: "已驳回" };
  const ATTENDANCE_NAMES = { present: "到场", absent: "缺席" };

  // The number after /competitions/ or /organizer/competitions/ in the address.
  function idFromPath() {
    const match = location.pathname.match(/competitions\/(\d+)/);
    return match ? Number(match[1]) : null;
  }

  // "30.00" -> "30", "33.33" -> "33.33": weights as people write them.
  function percent(value) {
    return `${Number(value)}%`;
  }

  function badge(text, kind) {
    return `<span class="badge ${kind || ""}">${App.esc(text)}</span>`;
  }

  function stateBadge(c) {
    const text = c.state === "open" && !c.registration_open_now ? "未在报名时间" : c.state_name;
    return badge(text, c.registration_open_now ? "ok" : STATE_CLASS[c.state]);
  }

  function statusBadge(r) {
    if (r.status === "waitlisted") return badge(`候补第 ${r.waitlist_position} 位`, "warn");
    return badge(r.status_name, { accepted: "ok", rejected: "bad", withdrawn: "" }[r.status]);
  }

  function reviewBadge(r) {
    return badge(REVIEW_NAMES[r.review] || r.review, { approved: "ok", rejected: "bad", pending: "warn" }[r.review]);
  }

  function windowText(c) {
    return `${App.when(c.registration_opens_at)} 至 ${App.when(c.registration_closes_at)}`;
  }

  function places(c) {
    return c.capacity == null ? `已报名 ${c.accepted_count} 人（不限名额）` : `已报名 ${c.accepted_count} / ${c.capacity} 人`;
  }

  // "2026-12-01T09:00" from a datetime-local input, as Beijing time with its offset.
  function localToIso(value) {
    return value ? `${value.length === 16 ? value + ":00" : value}+08:00` : null;
  }

  // An ISO time as the value of a datetime-local input, in Beijing time.
  function isoToLocal(iso) {
    if (!iso) return "";
    const shifted = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    return shifted.toISOString().slice(0, 16);
  }

  // The answer to a registration, or the reasons it was refused, in a .notice box.
  function showOutcome(box, result) {
    const r = result.registration;
    const ok = r.status === "accepted";
    box.className = `notice ${ok ? "ok" : "warn"}`;
    box.hidden = false;
    box.innerHTML = `<strong>${ok ? "已报名" : App.esc(r.status === "waitlisted" ? `候补第 ${r.waitlist_position} 位` : r.status_name)}</strong>
      <div>${App.esc(result.message)}</div>
      <div class="muted">报名号 <span class="mono">${App.esc(r.registration_no)}</span> · <a href="/my/registrations">查看我的报名</a></div>`;
  }

  function showReasons(box, error) {
    const reasons = (error.body.detail && error.body.detail.reasons) || [];
    box.className = "notice bad";
    box.hidden = false;
    box.innerHTML = `<strong>不符合参赛条件</strong><ul class="reasons">${reasons
      .map((r) => `<li data-code="${App.esc(r.code)}">${App.esc(r.message)}</li>`).join("")}</ul>`;
  }

  // Like App.showError, but a 422 that lists several problems (stages, rules) marks every field it names.
  function showProblems(form, error) {
    const problems = error.body && error.body.detail && error.body.detail.problems;
    if (!problems) { App.showError(form, error); return; }
    App.clearErrors(form);
    const unplaced = [];
    for (const problem of problems) {
      const input = form.querySelector(`[name="${CSS.escape(problem.field)}"]`);
      const slot = form.querySelector(`[data-error-for="${CSS.escape(problem.field)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
      if (slot) slot.textContent = problem.message; else unplaced.push(problem.message);
    }
    const box = form.querySelector(".notice");
    box.className = "notice bad";
    box.hidden = false;
    box.innerHTML = `请修改标出的 ${problems.length} 处问题${unplaced.length ? "：" : ""}<ul>${unplaced.map((m) => `<li>${App.esc(m)}</li>`).join("")}</ul>`;
  }

  function levelOptions(selected, blank = "未取得 / 不填") {
    return `<option value="">${blank}</option>` + Object.entries(LEVELS).reverse()
      .map(([n, name]) => `<option value="${n}"${Number(selected) === Number(n) ? " selected" : ""}>${name}</option>`).join("");
  }

  return {
    LEVELS, TRANSITION_LABELS, TRANSITION_CONFIRM, REVIEW_NAMES, ATTENDANCE_NAMES, idFromPath, percent, badge, stateBadge, statusBadge,
    reviewBadge, windowText, places, localToIso, isoToLocal, showOutcome, showReasons, showProblems, levelOptions,
  };
})();
