// 评分标准编辑器的后半部分: rounds (初赛、决赛 and the cut between them), the module scores the public board
// shows, team scores with the organisation award, and skill-level promotion, as forms with each choice
// explained. The editor keeps these parts as typed (strings in inputs); `clean` turns them into what the API
// takes (scoring.rules.records: RoundsRule, TeamRules, OrganisationAward, PromotionRule) and `problems`
// names what the server would refuse, at the same paths (scoring/rules/round_checks.py, declared_checks.py).
// Used by RubricBuilder (competition mode only), which passes its form helpers in.
"use strict";

const RubricBuilderRounds = (() => {
  const E = RubricEngine;
  const esc = (v) => App.esc(v);
  const T = RubricText;
  const { LEVELS, CUTS, TIES, ORDERS, TOTALS, GROUPINGS, TEAM_METHODS, BASES, TIER_NAMES } = T;
  const TARGETS = {
    to_level: { name: "晋升至某等级" },
    levels_up: { name: "在原等级上晋升几级" },
  };
  const DEFAULT_TIERS = () => ({ method: "percent", counts: [], percents: ["10", "20", "30"], min_score: null });

  const str = (v) => (v == null ? "" : String(v));
  const blank = (v) => v == null || String(v).trim() === "";
  // An integer field as the API takes it: a number, null when left empty, the text itself when it is no
  // integer (the check below names it, and the server would refuse it at the same field).
  const int = (v) => (blank(v) ? null : /^\s*-?\d+\s*$/.test(String(v)) ? Number(v) : String(v).trim());
  const dec = (v) => (blank(v) ? null : String(v).trim());
  const isInt = (v) => typeof v === "number" && Number.isInteger(v);

  // --- from the rules as stored to the editor's own copy ------------------------------------------------------
  function editable(rules) {
    const r = rules || {};
    return {
      rounds: r.rounds ? {
        total: r.rounds.total || "sum",
        rounds: (r.rounds.rounds || []).map((x) => ({
          id: String(x.id), name: x.name || "", stages: (x.stages || []).map(String), cut: x.cut ?? null,
          count: str(x.count), min_score: str(x.min_score), ties: x.ties || "all", next_order: x.next_order || "reverse_rank",
        })),
      } : null,
      public_modules: [...(r.public_modules || [])],
      teams: r.teams ? {
        best: str(r.teams.best), grouping: r.teams.grouping || "named", method: r.teams.method || "sum",
        min_members: str(r.teams.min_members), rounding: r.teams.rounding ? { ...r.teams.rounding } : null,
        tiers: r.teams.tiers === undefined ? DEFAULT_TIERS() : r.teams.tiers && { ...DEFAULT_TIERS(), ...r.teams.tiers },
        no_ties_in_top: Number(r.teams.no_ties_in_top || 0),
      } : null,
      organisation_award: r.organisation_award ? { count: str(r.organisation_award.count), basis: r.organisation_award.basis || "team" } : null,
      promotion: r.promotion ? {
        highest: str(r.promotion.highest ?? 1), basis: r.promotion.basis || "",
        bands: (r.promotion.bands || []).map(editableBand),
      } : null,
    };
  }

  function editableBand(b) {
    return {
      first_rank: str(b.first_rank), last_rank: str(b.last_rank), tiers: (b.tiers || []).map(Number), min_score: str(b.min_score),
      target: b.levels_up != null ? "levels_up" : "to_level", to_level: str(b.to_level), levels_up: str(b.levels_up), unlevelled_to: str(b.unlevelled_to),
    };
  }

  // --- from the editor to the API -------------------------------------------------------------------------------
  function clean(rules, cleanTiers) {
    const out = {};
    if (rules.rounds) out.rounds = cleanRounds(rules.rounds);
    const modules = new Set(rules.stages.flatMap((s) => (s.modules || []).map((m) => m.id)));
    const shown = (rules.public_modules || []).filter((id) => modules.has(id));
    if (shown.length) out.public_modules = shown;
    if (rules.teams) out.teams = cleanTeams(rules.teams, cleanTiers);
    if (rules.organisation_award) out.organisation_award = { count: int(rules.organisation_award.count), basis: rules.organisation_award.basis };
    if (rules.promotion) {
      const p = rules.promotion;
      out.promotion = { highest: int(p.highest), basis: p.basis.trim(), bands: p.bands.map(cleanBand) };
    }
    return out;
  }

  function cleanRounds(declared) {
    const last = declared.rounds.length - 1;
    return {
      total: declared.total,
      rounds: declared.rounds.map((x, i) => {
        const cut = i === last ? null : x.cut || "top";
        return {
          id: x.id, name: x.name.trim(), stages: [...x.stages], cut,
          count: cut && cut !== "min_score" ? int(x.count) : null, min_score: cut === "min_score" ? dec(x.min_score) : null,
          ties: x.ties, next_order: x.next_order,
        };
      }),
    };
  }

  function cleanTeams(t, cleanTiers) {
    return {
      best: int(t.best), grouping: t.grouping, method: t.method, min_members: int(t.min_members),
      rounding: t.method === "mean" && t.rounding ? { decimals: Number(t.rounding.decimals), mode: t.rounding.mode || "half_up" } : null,
      tiers: cleanTiers(t.tiers), no_ties_in_top: Number(t.no_ties_in_top || 0),
    };
  }

  function cleanBand(b) {
    const up = b.target === "levels_up";
    return {
      first_rank: int(b.first_rank), last_rank: int(b.last_rank), tiers: [...b.tiers].sort((a, c) => a - c), min_score: dec(b.min_score),
      to_level: up ? null : int(b.to_level), levels_up: up ? int(b.levels_up) : null, unlevelled_to: up ? int(b.unlevelled_to) : null,
    };
  }

  // --- what the server would refuse, at the server's paths ("rounds.rounds[0].count") --------------------------
  function problems(rules) {
    const list = [];
    const add = (code, message, path) => list.push({ code, message, path });
    const modules = new Set(rules.stages.flatMap((s) => (s.modules || []).map((m) => m.id)));
    for (const ref of rules.public_modules || []) if (!modules.has(ref)) add("unknown_public_module", `公开显示的模块“${ref}”不存在`, "public_modules");
    if (rules.rounds) roundProblems(rules, add);
    const top = E.finalMaximum(E.normalise(rules));
    if (rules.teams) teamProblems(rules.teams, top, add, list);
    const award = rules.organisation_award;
    if (award) {
      if (!isInt(award.count) || award.count < 1) add("organisation_count_invalid", "优秀组织奖名额至少为1", "organisation_award.count");
      if (award.basis === "team" && (!rules.teams || rules.teams.grouping !== "union")) {
        add("organisation_needs_union_teams", "按团体名次评选优秀组织奖，须设置按基层工会组队的团体成绩", "organisation_award.basis");
      }
    }
    if (rules.promotion) promotionProblems(rules.promotion, top, add);
    return list;
  }

  function roundProblems(rules, add) {
    const rounds = rules.rounds.rounds;
    if (!rounds.length) return add("no_rounds", "声明轮次时至少需要一轮", "rounds.rounds");
    const known = new Set(rules.stages.map((s) => String(s.id)));
    const seen = new Set();
    const ids = new Set();
    rounds.forEach((x, i) => {
      const path = `rounds.rounds[${i}]`;
      if (ids.has(x.id)) add("duplicate_id", `轮次编号“${x.id}”重复`, `${path}.id`);
      ids.add(x.id);
      if (!x.stages.length) add("round_empty", "每一轮至少包含一个阶段", `${path}.stages`);
      for (const id of x.stages) {
        if (!known.has(id)) add("round_unknown_stage", `轮次引用的阶段“${id}”不存在`, `${path}.stages`);
        else if (seen.has(id)) add("round_stage_twice", `阶段“${id}”属于不止一轮`, `${path}.stages`);
        seen.add(id);
      }
      const label = x.name || x.id;
      if (i === rounds.length - 1) {
        if (x.cut) add("last_round_cut", `最后一轮“${label}”不设晋级规则`, `${path}.cut`);
      } else if (!x.cut) {
        add("round_cut_missing", `第“${label}”轮须声明晋级规则`, `${path}.cut`);
      } else if (x.cut === "min_score") {
        const line = E.parse(x.min_score);
        if (line === null || E.cmp(line, E.frac(0n)) < 0) add("round_min_score_invalid", `“${label}”的晋级分数线须为不小于0的数`, `${path}.min_score`);
      } else if (!isInt(x.count) || x.count < 1) {
        add("round_count_invalid", `“${label}”按${CUT_SHORT[x.cut]}晋级，晋级人数须至少为1`, `${path}.count`);
      }
    });
    const missing = rules.stages.map((s) => String(s.id)).filter((id) => !seen.has(id));
    if (missing.length) add("stage_without_round", `阶段“${missing.join("、")}”不属于任何一轮`, "rounds.rounds");
    if (rules.rounds.total === "last" && rules.final !== "raw_sum") {
      const weights = new Map(rules.stages.map((s) => [String(s.id), E.parse(s.weight_percent) || E.frac(0n)]));
      rounds.forEach((x, i) => {
        const total = x.stages.reduce((a, id) => E.add(a, weights.get(id) || E.frac(0n)), E.frac(0n));
        if (E.cmp(total, E.frac(0n)) <= 0) {
          add("round_weight_zero", `只计最后一轮时，每一轮各阶段权重之和须大于0，“${x.name || x.id}”为${E.text(total)}`, `rounds.rounds[${i}].stages`);
        }
      });
    }
  }
  const CUT_SHORT = { top: "前N名", min_score: "分数线", top_per_union: "各工会前N名", top_per_enterprise: "各企业前N名" };

  function teamProblems(t, finalTop, add, list) {
    if (!isInt(t.best) || t.best < 1) add("team_best_invalid", "团体计分人数至少为1人", "teams.best");
    const k = isInt(t.best) ? Math.max(t.best, 1) : 1;
    if (t.min_members !== null && (!isInt(t.min_members) || t.min_members < 1 || t.min_members > k)) {
      add("team_min_members_invalid", "团体排名所需最少人数应在1到计分人数之间", "teams.min_members");
    }
    const places = t.rounding ? Number(t.rounding.decimals) : 0;
    if (places < 0) add("rounding_decimals_negative", "保留小数位数不能为负数", "teams.rounding.decimals");
    if (places > 6) add("rounding_decimals_too_many", "保留小数位数最多为6位", "teams.rounding.decimals");
    if (t.no_ties_in_top < 0) add("no_ties_in_top_negative", "不允许并列的名次范围不能为负数", "teams.no_ties_in_top");
    const top = t.method === "sum" ? E.mul(finalTop, E.frac(BigInt(k))) : finalTop;
    list.push(...E.tierPolicyProblems(t.tiers, "teams.tiers", top));
  }

  function promotionProblems(p, finalTop, add) {
    const level = (v) => v === null || (isInt(v) && v >= 1 && v <= 5);
    if (!level(p.highest) || p.highest === null) add("promotion_level_invalid", "最高晋升等级应为1至5", "promotion.highest");
    if (!p.bands.length) add("promotion_no_bands", "晋升规则至少需要一条", "promotion.bands");
    p.bands.forEach((b, i) => {
      const path = `promotion.bands[${i}]`;
      if ((b.to_level === null) === (b.levels_up === null)) add("promotion_target_invalid", "晋升规则须且只能设置“晋升至某等级”或“晋升几级”之一", `${path}.to_level`);
      if (!level(b.to_level) || !level(b.unlevelled_to)) add("promotion_level_invalid", "职业技能等级应为1（高级技师）至5（初级工）", `${path}.to_level`);
      else if (b.to_level !== null && isInt(p.highest) && b.to_level < p.highest) add("promotion_above_highest", "晋升等级不能高于规则规定的最高等级", `${path}.to_level`);
      if (b.levels_up !== null && (!isInt(b.levels_up) || b.levels_up < 1)) add("promotion_levels_up_invalid", "晋升级数至少为1", `${path}.levels_up`);
      if (b.unlevelled_to !== null && b.levels_up === null) {
        add("promotion_unlevelled_not_applicable", "仅“晋升几级”的规则需要设置无等级人员的晋升等级", `${path}.unlevelled_to`);
      }
      if (b.first_rank === null && b.last_rank === null && !b.tiers.length) add("promotion_band_unbounded", "晋升规则须限定名次范围或获奖等次", `${path}.first_rank`);
      const first = b.first_rank, last = b.last_rank;
      const badFirst = first !== null && (!isInt(first) || first < 1);
      const badLast = last !== null && (!isInt(last) || last < Math.max(isInt(first) ? first : 1, 1));
      if (badFirst || badLast) add("promotion_ranks_invalid", "名次范围应从1起，且截止名次不小于起始名次", `${path}.last_rank`);
      if (b.tiers.some((x) => x < 1)) add("promotion_tiers_invalid", "获奖等次应为1（一等奖）起的正整数", `${path}.tiers`);
      if (b.min_score !== null) {
        const floor = E.parse(b.min_score);
        if (floor === null || E.cmp(floor, E.frac(0n)) < 0 || E.cmp(floor, finalTop) > 0) {
          add("min_score_out_of_range", `晋升所需最低分应在0到${E.text(finalTop)}之间`, `${path}.min_score`);
        }
      }
    });
  }

  // --- the forms ------------------------------------------------------------------------------------------------
  function toggle(name, on, label, help, h) {
    return `<label class="check rb-toggle"><input type="checkbox" data-toggle-declared="${name}" ${on ? "checked" : ""}> ${esc(label)}</label>${h.hint(help)}`;
  }

  function roundsBlock(rules, h) {
    const declared = rules.rounds;
    const head = `<h2>轮次（初赛、决赛）</h2>${toggle("rounds", declared, "本赛项分轮次进行", "分轮次时，每轮由若干环节组成，本轮结束后按晋级规则确定进入下一轮的选手；未晋级选手保留已参加轮次的成绩。", h)}`;
    if (!declared) return `<section class="card rb-rounds">${head}</section>`;
    const cards = declared.rounds.map((x, i) => roundCard(x, i, declared.rounds.length, rules.stages, h)).join("");
    return `<section class="card rb-rounds">${head}
      ${h.select("总成绩怎样算", "rounds.total", declared.total, TOTALS, { help: TOTALS[declared.total].hint })}
      ${cards}${h.slot("rounds.rounds")}
      <p><button type="button" class="secondary small" data-act="round-add" ${declared.rounds.length >= rules.stages.length ? "disabled" : ""}>＋ 添加一轮</button></p>
      ${declared.rounds.length >= rules.stages.length ? h.hint("每一轮至少要有一个环节：轮数不能多于环节数（在竞赛设置中增加环节后可再分轮）。") : ""}</section>`;
  }

  function roundCard(x, i, count, stages, h) {
    const path = `rounds.rounds.${i}`;
    const last = i === count - 1;
    const boxes = stages.map((s) => `<label class="check"><input type="checkbox" data-round-stage="${i}" value="${esc(s.id)}" ${x.stages.includes(String(s.id)) ? "checked" : ""}> ${esc(s.name || s.id)}</label>`).join("");
    const cut = x.cut || "top";
    const cutFields = last
      ? `${h.hint("最后一轮不设晋级：本轮结束即产生最终名次、奖项。")}${h.slot(`${path}.cut`)}`
      : `<div class="rb-grid">
          ${h.select("晋级方式", `${path}.cut`, cut, CUTS, { help: CUTS[cut].hint })}
          ${cut === "min_score"
            ? h.field("晋级分数线", `${path}.min_score`, x.min_score, { help: "按本轮结束时的成绩（累计或本轮，见上面的总成绩算法）比较。" })
            : h.field(cut === "top" ? "晋级人数 N" : "每组晋级人数 N", `${path}.count`, x.count, { inputmode: "numeric" })}
          ${h.select("晋级线上并列时", `${path}.ties`, x.ties, TIES, { help: TIES[x.ties].hint })}
          ${h.select("下一轮出场顺序", `${path}.next_order`, x.next_order, ORDERS, { help: ORDERS[x.next_order].hint })}
        </div>`;
    return `<fieldset class="rb-module rb-round-card" data-round="${esc(x.id)}">
      <legend>第 ${i + 1} 轮${x.name ? `：${esc(x.name)}` : ""}</legend>
      <div class="rb-grid">${h.field("名称（如 初赛、决赛）", `${path}.name`, x.name, { inputmode: "text" })}</div>
      <div class="rb-field"><p class="rb-label">本轮包含的环节</p><div class="rb-checks">${boxes}</div>
        ${h.hint("每个环节只能属于一轮；勾选后会从其他轮中移出。")}${h.slot(`${path}.stages`)}</div>
      ${cutFields}
      ${count > 1 ? `<p class="row rb-tools"><button type="button" class="ghost small" data-act="round-remove" data-index="${i}">删除这一轮</button></p>` : ""}
    </fieldset>`;
  }

  function publicBlock(rules, h) {
    const modules = rules.stages.flatMap((s) => (s.modules || []).map((m) => ({ id: m.id, name: m.name || m.id, stage: s.name || s.id })));
    const boxes = modules.map((m) => `<label class="check"><input type="checkbox" data-public-module="${esc(m.id)}" ${rules.public_modules.includes(m.id) ? "checked" : ""}> ${esc(m.name)}<span class="muted small">（${esc(m.stage)}）</span></label>`).join("");
    return `<section class="card rb-public"><h2>公开成绩显示哪些模块分</h2>
      ${h.hint("勾选的模块得分与各环节成绩、总成绩一起显示在公开成绩榜、大屏和公示文件中；不勾选的模块只有组织者和裁判长看得到。")}
      <div class="rb-checks">${boxes || '<p class="muted">还没有评分模块。</p>'}</div>${h.slot("public_modules")}</section>`;
  }

  function teamsBlock(rules, h) {
    const t = rules.teams;
    const head = `<h2>团体成绩与优秀组织奖</h2>${toggle("teams", t, "计算团体成绩", "团体成绩由队员已公布的个人总成绩计算，个人名次和奖项不受影响。", h)}`;
    const award = awardBlock(rules, h);
    if (!t) return `<section class="card rb-teams">${head}${award}</section>`;
    const decimals = t.rounding ? String(t.rounding.decimals) : "";
    const rounding = t.method !== "mean" ? "" : `<div class="rb-grid">
      ${h.select("平均值保留几位小数", "teams.rounding.decimals", decimals, [["", { name: "不取舍（精确值）" }], ...[0, 1, 2, 3, 4].map((d) => [String(d), { name: `保留 ${d} 位小数` }])])}
      ${t.rounding ? h.select("取舍方法", "teams.rounding.mode", t.rounding.mode || "half_up", T.MODES, { help: T.MODES[t.rounding.mode || "half_up"].hint }) : ""}</div>`;
    return `<section class="card rb-teams">${head}
      <div class="rb-grid">
        ${h.select("谁组成一队", "teams.grouping", t.grouping, GROUPINGS, { help: GROUPINGS[t.grouping].hint })}
        ${h.field("每队计分人数 k", "teams.best", t.best, { inputmode: "numeric", help: "取每队成绩最好的 k 名队员计算团体成绩。" })}
        ${h.select("k 名队员的成绩", "teams.method", t.method, TEAM_METHODS, { help: TEAM_METHODS[t.method].hint })}
        ${h.field("参加团体排名的最少人数", "teams.min_members", t.min_members, { inputmode: "numeric", help: "进入个人排名的队员少于此数的队伍列出但不排名。留空即等于 k。" })}
      </div>${rounding}
      ${h.tierBlock(t.tiers, "teams.tiers", "团体奖项")}
      <label class="check"><input type="checkbox" data-toggle-team-top ${t.no_ties_in_top ? "checked" : ""}> 团体前三名不允许并列</label>
      ${h.hint("勾选后，团体前三名在所有决胜规则后仍并列时，由组织者处理后再发布。团体成绩相同时按上面的决胜规则比较计分队员的成绩。")}
      ${award}</section>`;
  }

  function awardBlock(rules, h) {
    const a = rules.organisation_award;
    const head = `<h3>优秀组织奖</h3>${toggle("organisation_award", a, "评选优秀组织奖", "按基层工会评选，名额是上限：并列者整体放不进剩余名额时都不获奖。", h)}`;
    if (!a) return head;
    return `${head}<div class="rb-grid">
      ${h.field("名额（基层工会个数）", "organisation_award.count", a.count, { inputmode: "numeric" })}
      ${h.select("评选依据", "organisation_award.basis", a.basis, BASES, { help: BASES[a.basis].hint })}</div>`;
  }

  // [value, option] pairs (an object would put "" after the numbers): the levels not above `highest`.
  function levelOptions(highest, current, none = "（请选择）") {
    const top = Number(highest) || 1;
    const levels = Object.entries(LEVELS).filter(([level]) => Number(level) >= top || String(current) === level);
    return [["", { name: none }], ...levels.map(([level, name]) => [level, { name }])];
  }

  function promotionBlock(rules, h) {
    const p = rules.promotion;
    const head = `<h2>技能等级晋升</h2>${toggle("promotion", p, "比赛结果用于职业技能等级晋升", "按人社部门文件，获奖或名次靠前的选手可晋升职业技能等级；发布成绩后生成晋升名单，报人社部门认定。", h)}`;
    if (!p) return `<section class="card rb-promotion">${head}</section>`;
    const rows = p.bands.map((b, i) => bandRow(b, i, p.highest, h)).join("");
    return `<section class="card rb-promotion">${head}
      <div class="rb-grid">
        ${h.field("文件依据", "promotion.basis", p.basis, { inputmode: "text", width: "wide", help: "如“人社厅发〔2026〕12 号”，写在晋升名单上。" })}
        ${h.select("最高晋升至", "promotion.highest", p.highest, levelOptions(1, p.highest).slice(1), { help: "任何人晋升后都不高于此等级；最高为高级技师（一级）。" })}
      </div>
      <h3>晋升条件（按顺序，选手符合的第一条适用）</h3>
      ${h.hint("同一行的名次、获奖等次、最低分须同时满足，留空的条件不限；名次和获奖等次至少填一项。")}
      <div class="rb-bands-wrap"><table class="rb-bands"><thead><tr><th>名次</th><th>获奖等次</th><th>最低分</th><th>晋升</th><th></th></tr></thead>
        <tbody>${rows || '<tr><td colspan="5" class="muted">还没有晋升条件。</td></tr>'}</tbody></table></div>
      ${h.slot("promotion.bands")}
      <p><button type="button" class="secondary small" data-act="band-add">＋ 添加一条</button></p></section>`;
  }

  function bandRow(b, i, highest, h) {
    const path = `promotion.bands.${i}`;
    const tiers = TIER_NAMES.map((name, t) => `<label class="check"><input type="checkbox" data-band-tier="${i}" value="${t + 1}" ${b.tiers.includes(t + 1) ? "checked" : ""}> ${name}</label>`).join("");
    const target = b.target === "levels_up"
      ? `${h.field("晋升几级", `${path}.levels_up`, b.levels_up, { inputmode: "numeric" })}
        ${h.select("尚无等级者晋升至", `${path}.unlevelled_to`, b.unlevelled_to, levelOptions(highest, b.unlevelled_to, "不晋升（仅列出）"))}`
      : h.select("晋升至", `${path}.to_level`, b.to_level, levelOptions(highest, b.to_level));
    return `<tr data-band="${i}">
      <td data-label="名次"><div class="row rb-ranks">${h.field("从第", `${path}.first_rank`, b.first_rank, { inputmode: "numeric" })}${h.field("到第", `${path}.last_rank`, b.last_rank, { inputmode: "numeric" })}</div></td>
      <td data-label="获奖等次"><div class="rb-checks">${tiers}</div>${h.slot(`${path}.tiers`)}</td>
      <td data-label="最低分">${h.field("不低于（分）", `${path}.min_score`, b.min_score)}</td>
      <td data-label="晋升">${h.select("方式", `${path}.target`, b.target, TARGETS)}${target}</td>
      <td><button type="button" class="ghost small" data-act="band-remove" data-index="${i}">删除</button></td></tr>`;
  }

  function blocks(rules, h) {
    return roundsBlock(rules, h) + publicBlock(rules, h) + teamsBlock(rules, h) + promotionBlock(rules, h);
  }

  // --- editing ----------------------------------------------------------------------------------------------------
  function nextRoundId(rounds) {
    const used = new Set(rounds.map((x) => x.id));
    let n = 1;
    while (used.has(`r${n}`)) n += 1;
    return `r${n}`;
  }

  function newRound(rounds, stages, name) {
    return { id: nextRoundId(rounds), name, stages, cut: null, count: "", min_score: "", ties: "all", next_order: "reverse_rank" };
  }

  // The last round has no cut; every other round has one (a new one starts as "top N", N to fill in).
  function settle(rules) {
    const rounds = rules.rounds ? rules.rounds.rounds : [];
    rounds.forEach((x, i) => { x.cut = i === rounds.length - 1 ? null : x.cut || "top"; });
  }

  const STARTS = {
    // Two rounds when there are two stages or more: every stage but the last in the first, the last in the final.
    rounds: (rules) => {
      const ids = rules.stages.map((s) => String(s.id));
      const out = { total: "sum", rounds: [] };
      if (ids.length > 1) out.rounds.push(newRound(out.rounds, ids.slice(0, -1), "初赛"));
      out.rounds.push(newRound(out.rounds, ids.slice(-1), "决赛"));
      return out;
    },
    teams: () => ({ best: "3", grouping: "union", method: "sum", min_members: "", rounding: null, tiers: DEFAULT_TIERS(), no_ties_in_top: 0 }),
    organisation_award: (rules) => ({ count: "3", basis: rules.teams && rules.teams.grouping === "union" ? "team" : "prize_winners" }),
    promotion: () => ({ highest: "1", basis: "", bands: [{ ...editableBand({}), first_rank: "1", last_rank: "1", to_level: "2" }] }),
  };

  // An input of these sections: "render" (the form changes shape), "refresh" (only the figures do), or null
  // when it is not one of theirs (a plain field: the builder sets it at its data-path).
  function onInput(rules, el) {
    const d = el.dataset;
    if (d.toggleDeclared) {
      rules[d.toggleDeclared] = el.checked ? STARTS[d.toggleDeclared](rules) : null;
      settle(rules);
      return "render";
    }
    if (d.roundStage !== undefined) {
      const order = rules.stages.map((s) => String(s.id));
      rules.rounds.rounds.forEach((x, i) => {
        const others = x.stages.filter((id) => id !== el.value);
        x.stages = i === Number(d.roundStage) && el.checked ? order.filter((id) => id === el.value || others.includes(id)) : others;
      });
      return "render";
    }
    if (d.publicModule !== undefined) {
      const rest = rules.public_modules.filter((id) => id !== d.publicModule);
      rules.public_modules = el.checked ? [...rest, d.publicModule] : rest;
      return "refresh";
    }
    if (d.bandTier !== undefined) {
      const band = rules.promotion.bands[Number(d.bandTier)];
      const rest = band.tiers.filter((t) => t !== Number(el.value));
      band.tiers = el.checked ? [...rest, Number(el.value)].sort((a, c) => a - c) : rest;
      return "refresh";
    }
    if (el.matches("[data-toggle-team-top]")) { rules.teams.no_ties_in_top = el.checked ? 3 : 0; return "refresh"; }
    if (d.path === "teams.rounding.decimals") {
      rules.teams.rounding = el.value === "" ? null : { decimals: Number(el.value), mode: (rules.teams.rounding || {}).mode || "half_up" };
      return "render";
    }
    if (/^promotion\.bands\.\d+\.target$/.test(d.path || "")) {
      rules.promotion.bands[Number(d.path.split(".")[2])].target = el.value;
      return "render";
    }
    return null;
  }

  // A click of these sections' buttons: true when handled (the builder renders again).
  function onClick(rules, act, button) {
    const index = Number(button.dataset.index);
    if (act === "round-add") {
      const rounds = rules.rounds.rounds;
      const last = rounds[rounds.length - 1];
      // The new last round takes the previous last round's last stage when it has more than one.
      const stages = last.stages.length > 1 ? [last.stages.pop()] : [];
      rounds.push(newRound(rounds, stages, rounds.length === 1 ? "决赛" : ""));
    } else if (act === "round-remove") {
      const [gone] = rules.rounds.rounds.splice(index, 1);
      const into = rules.rounds.rounds[Math.max(index - 1, 0)];
      const order = rules.stages.map((s) => String(s.id));
      into.stages = order.filter((id) => into.stages.includes(id) || gone.stages.includes(id)); // no stage left without a round
    } else if (act === "band-add") {
      rules.promotion.bands.push(editableBand({}));
    } else if (act === "band-remove") {
      rules.promotion.bands.splice(index, 1);
    } else {
      return false;
    }
    settle(rules);
    return true;
  }

  return { editable, clean, problems, blocks, onInput, onClick };
})();
