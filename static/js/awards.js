// 评选表彰: helpers shared by the union officer's nomination page and the organizer's programme pages.
"use strict";

const Awards = (() => {
  const STATE_NAMES = {
    draft: "草稿", open: "征集推荐", eligibility_review: "资格审查", expert_review: "专家评审",
    shortlist: "建议名单", public_notice: "公示", awarded: "已表彰", archived: "已归档",
  };
  const KIND_NAMES = {
    craftsman: "亦城工匠", model_worker: "劳动模范", advanced_worker: "先进工作者",
    good_employee: "爱企业的好职工", good_manager: "爱职工的好经理", collective: "先进集体",
  };
  const STATUS_NAMES = {
    nominated: "已推荐", withdrawn: "已撤回", shortlisted: "入围", removed: "已撤下", awarded: "已表彰",
  };
  const LEVEL_NAMES = { 5: "初级工", 4: "中级工", 3: "高级工", 2: "技师", 1: "高级技师" };
  // The zone's industries, from GET /api/industries (accounts.rules.INDUSTRIES): filled by loadIndustries(),
  // which staff pages await before drawing a table by industry (public pages never ask: it is not public).
  const INDUSTRIES = {};
  async function loadIndustries() { return Object.assign(INDUSTRIES, await App.industries()); }

  // The eligibility badge: the verdict in force, and whether an organizer has reviewed it.
  function eligibilityBadge(n) {
    const ok = n.eligibility_status === "eligible";
    const text = ok ? "符合条件" : n.eligibility_status === "ineligible" ? "不符合条件" : "待审";
    const review = n.eligibility_overridden ? "（已改判）" : n.eligibility_reviewed ? "（已确认）" : "（待审核）";
    return `<span class="badge ${ok ? "ok" : "bad"}" data-eligibility="${App.esc(n.eligibility_status)}">${text}</span>`
      + `<span class="small muted review-state">${review}</span>`;
  }

  function reasons(n) {
    if (!n.eligibility_reasons.length) return "";
    return `<ul class="reasons small">${n.eligibility_reasons.map((r) => `<li>${App.esc(r.message)}</li>`).join("")}</ul>`;
  }

  // <input type="datetime-local"> holds Beijing time; the API wants an aware ISO time.
  function toIso(local) { return local ? `${local}:00+08:00` : null; }
  function toLocal(iso) {
    if (!iso) return "";
    const shifted = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    return shifted.toISOString().slice(0, 16);
  }

  function quotaText(q) {
    if (!q) return "按行业计算名额";
    if (q.quota === null) return `已推荐 ${q.used} 人（不限名额）`;
    return `名额 ${q.quota} 人，已用 ${q.used} 人，剩余 ${q.left} 人`;
  }

  // An error table for spreadsheet uploads: row, column, what is wrong.
  function errorRows(errors) {
    return errors.map((e) => `<tr><td class="num">${e.row}</td><td>${App.esc(e.column)}</td>`
      + `<td>${App.esc(e.message)}</td></tr>`).join("");
  }

  function notice(box, kind, text) {
    box.className = `notice ${kind}`;
    box.hidden = false;
    box.textContent = text;
  }

  return { STATE_NAMES, KIND_NAMES, STATUS_NAMES, LEVEL_NAMES, INDUSTRIES, loadIndustries, eligibilityBadge, reasons, toIso, toLocal, quotaText, errorRows, notice };
})();
