// 评分标准的中文说法: the names and one-line explanations of every choice in a rubric, and the rubric as
// Chinese prose (the summary organizers, judges and the public read). Shared by the rubric builder, the
// scoring set-up page and the programmes page.
"use strict";

const RubricText = (() => {
  const KINDS = {
    measurement: { name: "测量分", hint: "按客观标准测量给分，0 到满分之间按步长给分（如尺寸、功能、时间）。" },
    judgement: { name: "评价分（0–3 档）", hint: "每名裁判按 0、1、2、3 四档打分，合成后按 平均档 ÷ 3 × 满分 折算（世界技能大赛做法），至少 3 名裁判。" },
    pass_fail: { name: "达标判定", hint: "只有两种结果：达标得满分，不达标得 0 分。" },
    deduction: { name: "扣分项", hint: "违规、安全等扣分：裁判填写扣除的分数，从所在模块中减去（环节成绩不低于 0），不计入满分。" },
  };
  const METHODS = {
    mean: { name: "平均", hint: "所有裁判分数的平均值。" },
    trimmed_mean: { name: "去掉最高、最低分后平均", hint: "去掉最高分、最低分各若干个后取平均；5 名裁判常用各去 1 个。" },
    median: { name: "中位数", hint: "取居中的分数（裁判人数为偶数时取中间两个的平均）。" },
    trimmed_sum: { name: "去掉最高、最低分后求和", hint: "去掉最高、最低分各若干个后把其余分数相加（跳水等体育项目做法）；满分随裁判人数变化。" },
  };
  const POINTS = {
    panel_mark: { name: "裁判合成分", hint: "每个评分项合成各裁判分数后、乘系数前。" },
    factored_aspect: { name: "评分项得分", hint: "评分项得分乘以系数后。" },
    stage_total: { name: "环节成绩", hint: "每个环节各项合计后。" },
    final: { name: "总成绩", hint: "按权重合成总成绩后；公布、排名和获奖分数线都用这一成绩（不设则四舍五入保留 2 位）。" },
  };
  const MODES = {
    half_up: { name: "四舍五入", hint: "0.5 进位（国家标准常用）。" },
    half_even: { name: "四舍六入五成双", hint: "恰好为 5 时取偶数，减少累计偏差。" },
    down: { name: "去尾", hint: "多余位数直接舍去。" },
  };
  const TIE_BREAKS = {
    time_used: { name: "用时短者在前", hint: "需登记每位选手的用时；未登记用时者排在后面。" },
    stage: { name: "某环节成绩高者在前", hint: "如实际操作成绩高者在前。" },
    module: { name: "某模块成绩高者在前", hint: "如安全文明生产模块成绩高者在前。" },
  };
  const TIER_NAMES = ["一等奖", "二等奖", "三等奖"];
  // Rounds, teams, the organisation award and promotion (scoring.rules.records: Round, TeamRules ...).
  const LEVELS = { 1: "高级技师（一级）", 2: "技师（二级）", 3: "高级工（三级）", 4: "中级工（四级）", 5: "初级工（五级）" };
  const CUTS = {
    top: { name: "总排名前 N 名晋级", hint: "按本轮结束时的排名，前 N 名进入下一轮。" },
    min_score: { name: "达到分数线晋级", hint: "成绩不低于分数线的选手全部进入下一轮。" },
    top_per_union: { name: "各基层工会前 N 名晋级", hint: "每个基层工会各自排名，各取前 N 名（未填工会的选手合为一组）。" },
    top_per_enterprise: { name: "各单位前 N 名晋级", hint: "每个工作单位各自排名，各取前 N 名（未填单位的选手合为一组）。" },
  };
  const TIES = {
    all: { name: "并列者全部晋级", hint: "晋级线上成绩相同的选手全部晋级（前 10 名有 2 人并列第 10 时，11 人晋级）。" },
    tie_break: { name: "先按决胜规则比较", hint: "晋级线上成绩相同时，先按上面的“总成绩相同时”规则比较，仍相同者全部晋级。" },
  };
  const ORDERS = {
    reverse_rank: { name: "按本轮名次倒序出场", hint: "本轮成绩最好的选手最后出场（跳台滑雪等做法）。" },
    draw: { name: "重新抽签", hint: "下一轮出场顺序由系统重新抽签决定。" },
  };
  const TOTALS = {
    sum: { name: "各轮成绩相加（累计）", hint: "总成绩为选手参加的各轮成绩之和；每轮成绩按其环节的权重计算。" },
    last: { name: "只计最后参加的一轮", hint: "每轮按本轮环节的权重折算为百分制，总成绩为选手最后参加的那一轮的成绩。" },
  };
  const GROUPINGS = {
    union: { name: "按基层工会组队", hint: "同一基层工会的选手自动组成一队。" },
    enterprise: { name: "按工作单位组队", hint: "同一工作单位的选手自动组成一队。" },
    named: { name: "由组织者指定队伍", hint: "在本赛项的“团体”页面为每支队伍命名并选择队员，评分开始后不能再改。" },
  };
  const TEAM_METHODS = {
    sum: { name: "成绩相加", hint: "团体成绩 = 计分队员公布成绩之和。" },
    mean: { name: "成绩平均", hint: "团体成绩 = 计分队员公布成绩的平均值，可在下面设定保留几位小数。" },
  };
  const BASES = {
    team: { name: "按团体名次", hint: "团体名次最好的若干个基层工会获奖（须按基层工会组队）。" },
    prize_winners: { name: "按获奖人数", hint: "本工会获个人奖项的人数最多的若干个基层工会获奖。" },
    entrants: { name: "按参赛人数", hint: "本工会进入排名的参赛人数最多的若干个基层工会获奖。" },
  };

  const num = (value) => {
    const text = String(value ?? "");
    return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  };

  function combineText(aspect, judges = null, who = "裁判") {
    const method = (aspect.combine && aspect.combine.method) || "mean";
    const trim = (aspect.combine && aspect.combine.trim) || 0;
    if (method === "trimmed_mean") return `去掉最高分、最低分各 ${trim} 个后取平均`;
    if (method === "trimmed_sum") {
      return `去掉最高分、最低分各 ${trim} 个后求和${judges ? `（${judges} 名${who}，计 ${Math.max(judges - 2 * trim, 0)} 个分数）` : ""}`;
    }
    return method === "mean" ? `各${who}分数取平均` : "取中位数";
  }

  function stepText(step) {
    if (!step) return "不设";
    return `${MODES[step.mode || "half_up"].name}保留 ${step.decimals ?? 2} 位小数`;
  }

  function roundingText(rounding = {}) {
    const parts = Object.entries(POINTS)
      .filter(([point]) => rounding[point])
      .map(([point, words]) => `${words.name}${stepText(rounding[point])}`);
    // The final is always rounded (declared, else as published): the figure shown is the one that ranks.
    const final = "总成绩四舍五入保留 2 位小数（排名、获奖分数线都按公布的成绩）";
    if (!parts.length) return `计算过程中不取舍，${final}`;
    return rounding.final ? parts.join("；") : [...parts, final].join("；");
  }

  function tieBreakText(rules, stageName = (id) => id, moduleName = (id) => id) {
    const list = (rules.tie_breaks || []).map((t) =>
      t.kind === "time_used" ? "用时短者在前" : t.kind === "stage" ? `“${stageName(t.ref)}”成绩高者在前` : `“${moduleName(t.ref)}”模块成绩高者在前`);
    const rest = rules.no_ties_in_top ? `仍相同则名次并列，但前 ${rules.no_ties_in_top} 名不允许并列，由组织者另行决定` : "仍相同则名次并列（如 1、2、2、4）";
    return list.length ? `总成绩相同时：${list.join("，其次")}；${rest}。` : `总成绩相同时${rest}。`;
  }

  function tierText(tiers) {
    if (tiers === null) return "不评奖。";
    const t = tiers || { method: "percent", percents: ["10", "20", "30"] };
    const floor = t.min_score != null && t.min_score !== "" ? `；总成绩低于 ${num(t.min_score)} 分者不获奖` : "";
    if ((t.method || "percent") === "count") {
      return `${(t.counts || []).map((c, i) => `${TIER_NAMES[i] || `${i + 1}等奖`} ${c} 名`).join("、")}${floor}。并列者整体放不进某一奖项的名额时，整体降入下一奖项。`;
    }
    return `${(t.percents || ["10", "20", "30"]).map((p, i) => `${TIER_NAMES[i] || `${i + 1}等奖`} ${num(p)}%`).join("、")}（按参加排名的人数计算，各自向下取整）${floor}。并列者整体放不进某一奖项的名额时，整体降入下一奖项。`;
  }

  // The rubric as Chinese: one block per stage with its aspects as a table, then rounding, ties, prizes.
  // `options.judges` (the panel size) lets trimmed sums say how many marks they add.
  function summary(rules, { judges = null, showTiers = true, who = "裁判" } = {}) {
    const esc = App.esc;
    const stageName = (id) => { const s = rules.stages.find((x) => String(x.id) === String(id)); return s ? s.name || s.id : id; };
    const moduleName = (id) => {
      for (const s of rules.stages) for (const m of s.modules || []) if (m.id === id) return m.name || m.id;
      return id;
    };
    const raw = rules.final === "raw_sum";
    const stages = rules.stages.map((stage) => {
      const weight = raw ? "" : `权重 ${esc(num(stage.weight_percent))}%，`;
      const head = `<h3>${esc(stage.name || stage.id)}<span class="muted small">（${weight}满分 ${esc(num(stage.full_marks))} 分）</span></h3>`;
      const counted = raw ? "原始分直接" : `按 成绩 ÷ ${esc(num(stage.full_marks))} × ${esc(num(stage.weight_percent))} `;
      if ((stage.kind || "rubric") === "imported") return `${head}<p>成绩由组织者从表格导入（如理论考试分数），${counted}计入总成绩。</p>`;
      const rows = (stage.modules || []).flatMap((m) => (m.aspects || []).map((a, k) => `<tr>
        ${k === 0 ? `<td rowspan="${m.aspects.length}">${esc(m.name || m.id)}</td>` : ""}
        <td>${esc(a.name || a.id)}</td><td>${esc(KINDS[a.kind].name)}</td>
        <td class="num">${a.kind === "deduction" ? "最多扣 " : ""}${a.min_mark != null && Number(a.min_mark) !== 0 ? `${esc(num(a.min_mark))} 至 ` : ""}${esc(num(a.max_mark))}</td>
        <td class="num">${a.step ? esc(num(a.step)) : "—"}</td>
        <td class="num">${esc(num(a.factor ?? "1"))}</td><td>${esc(combineText(a, judges, who))}</td></tr>`)).join("");
      return `${head}<div class="table-wrap"><table class="rubric-summary"><thead><tr><th>模块</th><th>评分项</th><th>类型</th>
        <th class="num">满分</th><th class="num">步长</th><th class="num">系数</th><th>${who}分数合成</th></tr></thead><tbody>${rows}</tbody></table></div>`;
    }).join("");
    const formula = raw
      ? `${rules.stages.map((s) => s.name || s.id).join(" ＋ ")}（各阶段原始分相加，满分 ${num(rules.stages.reduce((a, s) => a + Number(s.full_marks || 0), 0))}）`
      : `${rules.stages.map((s) => `${s.name || s.id} ÷ ${num(s.full_marks)} × ${num(s.weight_percent)}`).join(" ＋ ")}（满分 100）`;
    const least = rules.stages.flatMap((s) => (s.modules || []).flatMap((m) => m.aspects || [])).filter((a) => a.min_marks != null);
    return `${stages}
      <dl class="facts rubric-facts">
        <dt>总成绩</dt><dd>${esc(formula)}</dd>
        ${least.length ? `<dt>最少有效评分数</dt><dd>${esc(least.map((a) => `${a.name || a.id} ${a.min_marks} 个`).join("，"))}；裁判缺席后不足此数的选手显示为未完成，不计算该项。</dd>` : ""}
        <dt>取舍</dt><dd>${esc(roundingText(rules.rounding || {}))}</dd>
        ${showTiers ? `<dt>排名</dt><dd>${esc(tieBreakText(rules, stageName, moduleName))}</dd>
        <dt>奖项</dt><dd>${esc(tierText(rules.tiers))}</dd>${declaredSummary(rules)}` : ""}
      </dl>`;
  }

  // Rounds, public module columns, teams, the organisation award and promotion in words: <dt>/<dd> pairs.
  function declaredSummary(rules) {
    const esc = App.esc;
    const stageName = (id) => { const s = rules.stages.find((x) => String(x.id) === id); return s ? s.name || s.id : id; };
    const items = [];
    if (rules.rounds) {
      const rounds = rules.rounds.rounds.map((x, i) => {
        const what = `${x.name || `第 ${i + 1} 轮`}（${x.stages.map(stageName).join("、")}）`;
        if (!x.cut) return what;
        const n = x.cut === "min_score" ? `成绩不低于 ${x.min_score} 分者晋级` : `${CUTS[x.cut].name.replace("N", x.count)}`;
        return `${what}：${n}，${TIES[x.ties].name}，${ORDERS[x.next_order].name}`;
      });
      items.push(["轮次", `${rounds.join("；")}。总成绩：${TOTALS[rules.rounds.total].name}。`]);
    }
    const modules = new Map(rules.stages.flatMap((s) => (s.modules || []).map((m) => [m.id, m.name || m.id])));
    if ((rules.public_modules || []).length) items.push(["公开模块分", rules.public_modules.map((id) => modules.get(id) || id).join("、")]);
    const t = rules.teams;
    if (t) {
      items.push(["团体成绩", `${GROUPINGS[t.grouping].name}，取每队最好的 ${t.best} 名队员${t.method === "sum" ? "成绩相加" : "成绩平均"}${t.min_members ? `，不足 ${t.min_members} 人的队伍不排名` : ""}；团体奖项：${tierText(t.tiers)}`]);
    }
    const a = rules.organisation_award;
    if (a) items.push(["优秀组织奖", `${BASES[a.basis].name}评选，至多 ${a.count} 个基层工会。`]);
    const p = rules.promotion;
    if (p) {
      const bands = p.bands.map((b) => {
        const when = [
          b.first_rank != null || b.last_rank != null ? `第 ${b.first_rank ?? 1} 至 ${b.last_rank ?? "末"} 名` : "",
          b.tiers.length ? b.tiers.map((x) => TIER_NAMES[x - 1] || `${x}等奖`).join("或") : "",
          b.min_score != null ? `成绩不低于 ${b.min_score} 分` : "",
        ].filter(Boolean).join("、");
        const to = b.levels_up != null ? `晋升 ${b.levels_up} 级${b.unlevelled_to ? `（无等级者晋升为${LEVELS[b.unlevelled_to]}）` : ""}` : `晋升为${LEVELS[b.to_level] || b.to_level}`;
        return `${when}：${to}`;
      });
      items.push(["技能等级晋升", `${bands.join("；")}；最高不超过${LEVELS[p.highest] || p.highest}${p.basis ? `（依据：${p.basis}）` : ""}。`]);
    }
    return items.map(([dt, dd]) => `<dt>${esc(dt)}</dt><dd>${esc(dd)}</dd>`).join("");
  }

  return {
    KINDS, METHODS, POINTS, MODES, TIE_BREAKS, TIER_NAMES, LEVELS, CUTS, TIES, ORDERS, TOTALS, GROUPINGS, TEAM_METHODS, BASES,
    combineText, stepText, roundingText, tieBreakText, tierText, summary, num,
  };
})();
