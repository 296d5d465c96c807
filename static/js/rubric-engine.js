// 评分引擎（浏览器版）: the rules of scoring/rules.py, in exact arithmetic, for the rubric builder's worked
// example. Every value is a fraction of two BigInts, so 95/12 + 17/24 is exactly 8.625 and rounds half up to
// 8.63, as on the server; rounding happens only where the rules declare it. Pure: no page, no network.
// Checked against the server's published figures by tests/browser/test_rubric_engine.py.
"use strict";

const RubricEngine = (() => {
  // --- exact fractions ---------------------------------------------------------------------------------------
  const abs = (x) => (x < 0n ? -x : x);
  const ten = (k) => 10n ** BigInt(k);

  function gcd(a, b) {
    a = abs(a); b = abs(b);
    while (b) [a, b] = [b, a % b];
    return a;
  }

  function frac(n, d = 1n) {
    if (d < 0n) { n = -n; d = -d; }
    const g = gcd(n, d) || 1n;
    return { n: n / g, d: d / g };
  }

  const ZERO = frac(0n);
  const add = (a, b) => frac(a.n * b.d + b.n * a.d, a.d * b.d);
  const sub = (a, b) => frac(a.n * b.d - b.n * a.d, a.d * b.d);
  const mul = (a, b) => frac(a.n * b.n, a.d * b.d);
  const div = (a, b) => frac(a.n * b.d, a.d * b.n);
  const cmp = (a, b) => { const x = a.n * b.d - b.n * a.d; return x < 0n ? -1 : x > 0n ? 1 : 0; };
  const isInt = (a) => a.d === 1n;

  // A decimal as people type it ("12.5", "-3", "0.25", 40) -> a fraction; null when it is not a number.
  function parse(value) {
    if (value === null || value === undefined) return null;
    const m = String(value).trim().match(/^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/);
    if (!m || (m[2] === "" && !m[3])) return null;
    const digits = BigInt((m[2] || "0") + (m[3] || ""));
    let exponent = -(m[3] || "").length + Number(m[4] || 0);
    const n = m[1] === "-" ? -digits : digits;
    return exponent >= 0 ? frac(n * ten(exponent)) : frac(n, ten(-exponent));
  }

  // Round to `decimals` places: half_up (四舍五入, away from zero), half_even, or down (去尾), exactly.
  function round(value, step) {
    const scale = ten(step.decimals ?? 2);
    const scaled = abs(value.n) * scale;
    let q = scaled / value.d;
    const twice = 2n * (scaled % value.d);
    const mode = step.mode || "half_up";
    if (mode === "half_up" && twice >= value.d) q += 1n;
    if (mode === "half_even" && (twice > value.d || (twice === value.d && q % 2n === 1n))) q += 1n;
    return frac(value.n < 0n ? -q : q, scale);
  }

  // What the server publishes for a fraction no step rounds: 28 significant digits, half even (Python's
  // Decimal context). Ranking compares these figures, as on the server.
  function publish(value) {
    if (isInt(value) || value.n === 0n) return value;
    const n = abs(value.n);
    let e = n.toString().length - value.d.toString().length; // floor(log10(n / d)) is e or e - 1
    if (e >= 0 ? n < value.d * ten(e) : n * ten(-e) < value.d) e -= 1;
    const k = 27 - e;
    const [num, den] = k >= 0 ? [n * ten(k), value.d] : [n, value.d * ten(-k)];
    let q = num / den;
    const twice = 2n * (num % den);
    if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
    const signed = value.n < 0n ? -q : q;
    return k >= 0 ? frac(signed, ten(k)) : frac(signed * ten(-k));
  }

  // A rounded value written with exactly `decimals` places ("70.00"), as the server shows published figures.
  function fixed(value, decimals) {
    const rounded = round(value, { decimals, mode: "half_up" });
    const q = abs(rounded.n * ten(decimals) / rounded.d);
    const digits = q.toString().padStart(decimals + 1, "0");
    const whole = digits.slice(0, digits.length - decimals);
    const part = decimals ? "." + digits.slice(digits.length - decimals) : "";
    return (rounded.n < 0n ? "-" : "") + whole + part;
  }

  // A value for reading: exact when it has at most `places` decimals, else "≈" and rounded.
  function text(value, places = 4) {
    for (let k = 0; k <= places; k += 1) {
      if ((value.n * ten(k)) % value.d === 0n) return fixed(value, k);
    }
    return "≈" + fixed(round(value, { decimals: places, mode: "half_even" }), places).replace(/0+$/, "");
  }

  // --- rules with their defaults (what msgspec fills in on the server) --------------------------------------
  const DEFAULT_TIERS = { method: "percent", counts: [], percents: ["10", "20", "30"], min_score: null };

  function normalise(rules) {
    return {
      stages: (rules.stages || []).map((s) => ({
        id: String(s.id), name: s.name || "", kind: s.kind || "rubric", full_marks: s.full_marks, weight_percent: s.weight_percent,
        modules: (s.modules || []).map((m) => ({
          id: m.id, name: m.name || "",
          aspects: (m.aspects || []).map((a) => ({
            id: a.id, name: a.name || "", kind: a.kind, max_mark: a.max_mark, step: a.step ?? null, factor: a.factor ?? "1",
            combine: { method: (a.combine && a.combine.method) || "mean", trim: (a.combine && a.combine.trim) || 0 },
            min_mark: a.min_mark == null || a.min_mark === "" ? "0" : a.min_mark,
            min_marks: a.min_marks == null || a.min_marks === "" ? null : Number(a.min_marks),
          })),
        })),
      })),
      final: rules.final || "weighted",
      rounding: { panel_mark: null, factored_aspect: null, stage_total: null, final: null, ...(rules.rounding || {}) },
      tie_breaks: rules.tie_breaks || [],
      tiers: rules.tiers === undefined ? { ...DEFAULT_TIERS } : rules.tiers && { ...DEFAULT_TIERS, ...rules.tiers },
      no_ties_in_top: rules.no_ties_in_top || 0,
      rounds: rules.rounds ? {
        total: rules.rounds.total || "sum",
        rounds: (rules.rounds.rounds || []).map((r) => ({
          id: String(r.id), name: r.name || "", stages: (r.stages || []).map(String), cut: r.cut ?? null,
          count: r.count == null || r.count === "" ? null : Number(r.count), min_score: r.min_score ?? null,
          ties: r.ties || "all", next_order: r.next_order || "reverse_rank",
        })),
      } : null,
    };
  }

  function* aspects(rules) {
    for (const [i, stage] of rules.stages.entries()) {
      for (const [j, module] of stage.modules.entries()) {
        for (const [k, aspect] of module.aspects.entries()) yield [`stages[${i}].modules[${j}].aspects[${k}]`, aspect, stage];
      }
    }
  }

  // --- aggregation -------------------------------------------------------------------------------------------
  const TRIMMED = new Set(["trimmed_mean", "trimmed_sum"]);
  const SCORED = new Set(["measurement", "pass_fail", "judgement"]);

  // The panel mark of ascending marks, or null when nothing is left to combine.
  function combine(ordered, combination) {
    const count = ordered.length;
    if (combination.method === "median") {
      if (!count) return null;
      const middle = Math.floor(count / 2);
      return count % 2 ? ordered[middle] : div(add(ordered[middle - 1], ordered[middle]), frac(2n));
    }
    const trim = TRIMMED.has(combination.method) ? combination.trim : 0;
    const kept = ordered.slice(trim, count - trim);
    if (!kept.length) return null;
    const total = kept.reduce(add, ZERO);
    return combination.method === "trimmed_sum" ? total : div(total, frac(BigInt(kept.length)));
  }

  // The least number of marks an aspect needs: declared, or 2k + 1 for a trimmed rule, else 1.
  function leastMarks(aspect) {
    if (aspect.min_marks != null) return aspect.min_marks;
    return TRIMMED.has(aspect.combine.method) ? 2 * aspect.combine.trim + 1 : 1;
  }

  // What the final is out of: 100 when weighted, the sum of the stages' full marks as a raw sum.
  function finalMaximum(rules) {
    if (rules.final !== "raw_sum") return frac(100n);
    return rules.stages.reduce((a, s) => add(a, parse(s.full_marks) || ZERO), ZERO);
  }

  function scoreAspect(aspect, values, rounding) {
    values = [...values];
    if (values.length < leastMarks(aspect)) return { panel: null, contribution: ZERO }; // never combined short
    let panel = combine(values.sort(cmp), aspect.combine);
    if (panel === null) return { panel: null, contribution: ZERO };
    if (aspect.kind === "judgement") panel = div(mul(panel, parse(aspect.max_mark)), frac(3n));
    if (rounding.panel_mark) panel = round(panel, rounding.panel_mark);
    let score = mul(panel, parse(aspect.factor));
    if (rounding.factored_aspect) score = round(score, rounding.factored_aspect);
    return { panel, contribution: aspect.kind === "deduction" ? sub(ZERO, score) : score };
  }

  // subjects: [{ id, imported: { stageId: "80" }, time_used, disqualified, eliminated_after }] (eliminated_after:
  // the index of the round that cut the subject, 未晋级; absent while still in);
  // marks: [{ subject, aspect, judge, value }]; expected (optional): Map "subject|aspect" -> [judge, ...].
  function aggregate(rawRules, subjects, marks, expected = null) {
    const rules = normalise(rawRules);
    const rounds = rules.rounds ? rules.rounds.rounds : [];
    const roundOf = new Map(rounds.flatMap((r, i) => r.stages.map((id) => [id, i])));
    const lastRound = Math.max(rounds.length - 1, 0);
    const panels = new Map(subjects.map((s) => [String(s.id), new Map()]));
    for (const mark of marks) {
      const byAspect = panels.get(String(mark.subject));
      if (!byAspect) throw new Error(`mark for unknown subject ${mark.subject}`);
      if (!byAspect.has(mark.aspect)) byAspect.set(mark.aspect, new Map());
      byAspect.get(mark.aspect).set(String(mark.judge), parse(mark.value));
    }
    return subjects.map((subject) => {
      const id = String(subject.id);
      const byAspect = panels.get(id);
      const aspectScores = {}, moduleScores = {}, stageScores = {};
      const contributions = new Map(); // by round index (everything is round 0 without rounds)
      const reached = subject.eliminated_after == null ? lastRound : Number(subject.eliminated_after);
      let importedComplete = true;
      for (const stage of rules.stages) {
        const roundIndex = roundOf.get(stage.id) ?? 0;
        if (roundIndex > reached) continue; // 未晋级: a round never entered is not scored at all, not scored 0
        let total = ZERO;
        if (stage.kind === "imported") {
          const mark = subject.imported && subject.imported[stage.id];
          const value = mark === undefined || mark === null || mark === "" ? null : parse(mark);
          importedComplete = importedComplete && value !== null;
          total = value || ZERO;
        } else {
          for (const module of stage.modules) {
            let moduleTotal = ZERO;
            for (const aspect of module.aspects) {
              const marked = byAspect.get(aspect.id) || new Map();
              const { panel, contribution } = scoreAspect(aspect, marked.values(), rules.rounding);
              let complete = panel !== null;
              if (complete && expected) complete = (expected.get(`${id}|${aspect.id}`) || []).every((j) => marked.has(String(j)));
              aspectScores[aspect.id] = { panel_mark: panel && publish(panel), score: publish(contribution), marks: marked.size, complete };
              moduleTotal = add(moduleTotal, contribution);
            }
            moduleScores[module.id] = publish(moduleTotal);
            total = add(total, moduleTotal);
          }
        }
        if (total.n < 0n) total = ZERO; // deductions never take a stage below zero
        if (rules.rounding.stage_total) total = round(total, rules.rounding.stage_total);
        stageScores[stage.id] = publish(total);
        const contribution = rules.final === "raw_sum" ? total : div(mul(total, parse(stage.weight_percent)), parse(stage.full_marks));
        contributions.set(roundIndex, add(contributions.get(roundIndex) || ZERO, contribution));
      }
      const { final, roundScores } = finalScore(rules, contributions, reached);
      return {
        subject_id: id, aspect_scores: aspectScores, module_scores: moduleScores, stage_scores: stageScores,
        final_score: publish(final), complete: importedComplete && Object.values(aspectScores).every((a) => a.complete),
        disqualified: Boolean(subject.disqualified), time_used: subject.time_used == null || subject.time_used === "" ? null : parse(subject.time_used),
        rank: null, tier: null, round_scores: roundScores, eliminated_after: subject.eliminated_after == null ? null : Number(subject.eliminated_after),
      };
    });
  }

  // The final score, always rounded (the declared final rounding, else the published one: the figure shown is
  // the one that ranks), and with rounds each entered round's score, rounded as the final is: the total (累计)
  // is their sum, or the last round entered alone (total "last": each round scaled to 100 by its stages'
  // weights, unless the final is a raw sum).
  function finalScore(rules, contributions, reached) {
    const step = publishedStep(rules);
    if (!rules.rounds) return { final: round(contributions.get(0) || ZERO, step), roundScores: {} };
    const scaled = rules.rounds.total === "last" && rules.final !== "raw_sum";
    const weights = new Map(rules.stages.map((s) => [s.id, parse(s.weight_percent)]));
    const scores = [];
    for (let i = 0; i <= reached; i += 1) {
      let score = contributions.get(i) || ZERO;
      if (scaled) score = div(mul(score, frac(100n)), rules.rounds.rounds[i].stages.reduce((a, id) => add(a, weights.get(id)), ZERO));
      scores.push(round(score, step));
    }
    const final = rules.rounds.total === "last" ? scores[reached] : scores.reduce(add, ZERO);
    const roundScores = Object.fromEntries(scores.map((score, i) => [rules.rounds.rounds[i].id, publish(score)]));
    return { final, roundScores };
  }

  // --- ranking and prizes ------------------------------------------------------------------------------------
  // `score` first, then each tie-break (a stage or module of a round the subject did not enter counts as 0).
  function rankKey(tieBreaks, result, score = result.final_score) {
    const key = [score];
    for (const rule of tieBreaks) {
      if (rule.kind === "stage") key.push(result.stage_scores[rule.ref] ?? ZERO);
      else if (rule.kind === "module") key.push(result.module_scores[rule.ref] ?? ZERO);
      else key.push(result.time_used); // shorter is better; none comes last
    }
    return key;
  }

  // Negative when a ranks above b.
  function compareKeys(tieBreaks, a, b) {
    for (let i = 0; i < a.length; i += 1) {
      const rule = i === 0 ? null : tieBreaks[i - 1];
      if (rule && rule.kind === "time_used") {
        if (a[i] === null || b[i] === null) {
          if (a[i] === b[i]) continue;
          return a[i] === null ? 1 : -1;
        }
        const c = cmp(a[i], b[i]);
        if (c) return c;
      } else {
        const c = cmp(b[i], a[i]);
        if (c) return c;
      }
    }
    return 0;
  }

  function tierCounts(tiers, ranked) {
    if (tiers.method === "count") return tiers.counts.map(Number);
    return tiers.percents.map((p) => {
      const share = mul(frac(BigInt(ranked)), parse(p));
      return Number(share.n / (share.d * 100n));
    });
  }

  const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

  function rank(rawRules, results) {
    const rules = normalise(rawRules);
    // With rounds, whoever went further ranks above whoever was cut earlier, whatever the scores.
    const reached = (r) => (r.eliminated_after == null ? rules.rounds.rounds.length : r.eliminated_after);
    const order = (a, b) => (rules.rounds ? reached(b.r) - reached(a.r) : 0) || compareKeys(rules.tie_breaks, a.key, b.key);
    const keyed = results.filter((r) => !r.disqualified).map((r) => ({ r, key: rankKey(rules.tie_breaks, r) }));
    keyed.sort((a, b) => order(a, b) || byId(a.r.subject_id, b.r.subject_id));
    const groups = [];
    for (const item of keyed) {
      const last = groups[groups.length - 1];
      if (last && order(last[0], item) === 0) last.push(item);
      else groups.push([item]);
    }
    const ranked = keyed.length;
    const counts = rules.tiers ? tierCounts(rules.tiers, ranked) : [];
    const minScore = rules.tiers && rules.tiers.min_score != null && rules.tiers.min_score !== "" ? parse(rules.tiers.min_score) : null;
    const tiers = new Map();
    let tier = 0, room = counts.length ? counts[0] : 0;
    for (const group of groups) {
      if (minScore && cmp(group[0].r.final_score, minScore) < 0) break;
      while (tier < counts.length && group.length > room) {
        tier += 1; // the whole tie drops a tier; the places it leaves are not carried over
        room = tier < counts.length ? counts[tier] : 0;
      }
      if (tier === counts.length) break;
      for (const item of group) tiers.set(item.r.subject_id, tier + 1);
      room -= group.length;
    }
    const ordered = [], ties = [];
    let position = 1;
    for (const group of groups) {
      if (group.length > 1 && position <= rules.no_ties_in_top) ties.push({ rank: position, subject_ids: group.map((g) => g.r.subject_id) });
      for (const item of group) ordered.push({ ...item.r, rank: position, tier: tiers.get(item.r.subject_id) ?? null });
      position += group.length;
    }
    const out = results.filter((r) => r.disqualified).sort((a, b) => (a.subject_id < b.subject_id ? -1 : 1));
    for (const r of out) ordered.push({ ...r, rank: null, tier: null });
    return { results: ordered, unresolved_ties: ties, tier_counts: counts };
  }

  function leaderboard(rules, subjects, marks, expected = null) {
    return rank(rules, aggregate(rules, subjects, marks, expected));
  }

  // --- rounds (scoring/rules/rounds.py) --------------------------------------------------------------------------
  // Who took part in round i: not disqualified and not cut after an earlier round.
  const entrants = (results, i) => results.filter((r) => !r.disqualified && (r.eliminated_after == null || r.eliminated_after >= i));

  // The score a subject stands on after round i (rules normalised): cumulative, or that round alone.
  function standingScore(rules, result, i) {
    const rounds = rules.rounds.rounds;
    if (rules.rounds.total === "last") return result.round_scores[rounds[i].id] || ZERO;
    return rounds.slice(0, i + 1).reduce((a, r) => add(a, result.round_scores[r.id] || ZERO), ZERO);
  }

  // [{ rank, result, score }] best first; equal keys share a rank (1, 2, 2, 4).
  function rankedInRound(rules, declared, scored) {
    const tieBreaks = declared.ties === "tie_break" ? rules.tie_breaks : [];
    const keyed = scored.map(([result, score]) => ({ result, score, key: rankKey(tieBreaks, result, score) }));
    keyed.sort((a, b) => compareKeys(tieBreaks, a.key, b.key) || byId(a.result.subject_id, b.result.subject_id));
    let rank = 0, previous = null;
    return keyed.map((item, position) => {
      if (!previous || compareKeys(tieBreaks, previous.key, item.key) !== 0) { rank = position + 1; previous = item; }
      return { rank, result: item.result, score: item.score };
    });
  }

  // The standing after round i and who qualifies for the next, best first (rules normalised). `groups`: per
  // subject id, its { union, enterprise } (for a per-group cut; a subject with none is in the group "").
  function roundStandings(rules, results, i, groups = {}) {
    const declared = rules.rounds.rounds[i];
    const scored = entrants(results, i).map((r) => [r, standingScore(rules, r, i)]);
    const standing = ({ rank, result, score }, qualified, group) => ({
      subject_id: result.subject_id, round_score: result.round_scores[declared.id] || ZERO, score, rank, qualified, group,
    });
    if (declared.cut === "top_per_union" || declared.cut === "top_per_enterprise") {
      const kind = declared.cut === "top_per_union" ? "union" : "enterprise";
      const byGroup = new Map();
      for (const item of scored) {
        const group = (groups[item[0].subject_id] || {})[kind] || "";
        byGroup.set(group, [...(byGroup.get(group) || []), item]);
      }
      const overall = new Map(rankedInRound(rules, declared, scored).map((x, position) => [x.result.subject_id, position]));
      return [...byGroup].flatMap(([group, members]) => rankedInRound(rules, declared, members).map((x) => standing(x, x.rank <= (declared.count || 0), group)))
        .sort((a, b) => overall.get(a.subject_id) - overall.get(b.subject_id));
    }
    const line = declared.cut === "min_score" && declared.min_score != null ? parse(declared.min_score) : null;
    return rankedInRound(rules, declared, scored).map((x) => standing(x,
      declared.cut === "top" ? x.rank <= (declared.count || 0) : line !== null && cmp(x.score, line) >= 0, null));
  }

  // The rounds as they are played: each round but the last is closed on its own standing (no marks of later
  // rounds yet, as when the organizer closes it), and whoever it does not qualify is cut (未晋级) after it.
  // Then the board. Returns the board with `standings`, one list per closed round.
  function leaderboardByRounds(rawRules, subjects, marks, expected = null, groups = {}) {
    const rules = normalise(rawRules);
    if (!rules.rounds) return { ...leaderboard(rawRules, subjects, marks, expected), standings: [] };
    const cut = new Map();
    const standings = [];
    for (let i = 0; i < rules.rounds.rounds.length - 1; i += 1) {
      const asOf = subjects.map((s) => ({ ...s, eliminated_after: cut.has(String(s.id)) ? cut.get(String(s.id)) : i }));
      const standing = roundStandings(rules, aggregate(rawRules, asOf, marks, expected), i, groups);
      for (const st of standing) if (!st.qualified) cut.set(st.subject_id, i);
      standings.push(standing);
    }
    const played = subjects.map((s) => ({ ...s, eliminated_after: cut.has(String(s.id)) ? cut.get(String(s.id)) : null }));
    return { ...leaderboard(rawRules, played, marks, expected), standings };
  }

  // How the server shows published figures: the final rounding, or two places half up.
  function publishedStep(rules) {
    return (rules.rounding && rules.rounding.final) || { decimals: 2, mode: "half_up" };
  }

  function shown(value, rules) {
    const step = publishedStep(rules);
    return fixed(round(value, step), step.decimals ?? 2);
  }

  // --- validation (the same checks and messages as scoring.rules.validate_rules) -----------------------------
  const KIND_NAMES = { measurement: "测量", pass_fail: "达标判定", judgement: "评价", deduction: "扣分" };
  const positive = (v) => v !== null && cmp(v, ZERO) > 0;

  function checkAspect(aspect, path) {
    const problems = [];
    const problem = (code, message, field) => problems.push({ code, message, path: `${path}.${field}`, aspect_id: aspect.id });
    const name = `评分项“${aspect.id}”`;
    const max = parse(aspect.max_mark), factor = parse(aspect.factor), step = aspect.step == null || aspect.step === "" ? null : parse(aspect.step);
    const low = parse(aspect.min_mark ?? "0");
    if (!positive(max)) problem("max_mark_not_positive", `${name}的满分必须大于0`, "max_mark");
    if (!positive(factor)) problem("factor_not_positive", `${name}的系数必须大于0`, "factor");
    if (aspect.step != null && aspect.step !== "") {
      if (aspect.kind === "judgement" || aspect.kind === "pass_fail") problem("step_not_applicable", `${name}为${KIND_NAMES[aspect.kind]}类，不设步长`, "step");
      else if (!positive(step)) problem("step_not_positive", `${name}的步长必须大于0`, "step");
      else if (positive(max) && !isInt(div(max, step))) problem("step_does_not_divide_max", `${name}的步长${aspect.step}不能整除满分${aspect.max_mark}`, "step");
      else if (low !== null && !isInt(div(low, step))) problem("step_does_not_divide_min", `${name}的步长${aspect.step}不能整除最低分${aspect.min_mark}`, "step");
    }
    if (low === null) problem("min_mark_invalid", `${name}的最低分不是有效数字`, "min_mark");
    else if (cmp(low, ZERO) !== 0 && aspect.kind !== "measurement") problem("min_mark_invalid", `${name}为${KIND_NAMES[aspect.kind]}类，最低分只能为0（只有测量类可以设负分）`, "min_mark");
    else if (max !== null && cmp(low, max) >= 0) problem("min_mark_invalid", `${name}的最低分${aspect.min_mark}应小于满分${aspect.max_mark}`, "min_mark");
    const { method, trim } = aspect.combine;
    if (trim < 0) problem("trim_negative", `${name}去掉的最高、最低分个数不能为负数`, "combine.trim");
    else if (trim > 0 && !TRIMMED.has(method)) problem("trim_not_applicable", `${name}的合成方式不去掉最高、最低分，去分个数应为0`, "combine.trim");
    else if (aspect.min_marks != null && aspect.min_marks < leastMarks({ ...aspect, min_marks: null })) {
      problem("min_marks_too_few", `${name}的合成方式至少需要${leastMarks({ ...aspect, min_marks: null })}个有效评分`, "min_marks");
    }
    return problems;
  }

  // Sum of max x factor over scored aspects (x the marks a trimmed sum adds, given the judges per aspect).
  function stageMaximum(stage, judges) {
    let total = ZERO;
    for (const module of stage.modules) {
      for (const aspect of module.aspects) {
        if (!SCORED.has(aspect.kind)) continue;
        const max = parse(aspect.max_mark), factor = parse(aspect.factor);
        if (max === null || factor === null) return null;
        let summed = 1;
        if (aspect.combine.method === "trimmed_sum") {
          if (judges == null) return null;
          summed = Math.max(judges - 2 * aspect.combine.trim, 0);
        }
        total = add(total, mul(mul(max, factor), frac(BigInt(summed))));
      }
    }
    return total;
  }

  function validate(rawRules, { judges = null } = {}) {
    const rules = normalise(rawRules);
    const problems = [];
    const seen = { 阶段: new Set(), 模块: new Set(), 评分项: new Set() };
    const ids = [];
    rules.stages.forEach((s, i) => {
      ids.push(["阶段", s.id, `stages[${i}].id`]);
      s.modules.forEach((m, j) => ids.push(["模块", m.id, `stages[${i}].modules[${j}].id`]));
    });
    for (const [path, aspect] of aspects(rules)) ids.push(["评分项", aspect.id, `${path}.id`]);
    for (const [what, id, path] of ids) {
      if (!id) problems.push({ code: "id_missing", message: `${what}编号不能为空`, path });
      else if (seen[what].has(id)) problems.push({ code: "duplicate_id", message: `${what}编号“${id}”重复`, path });
      seen[what].add(id);
    }
    if (!rules.stages.length) problems.push({ code: "no_stages", message: "比赛至少需要一个阶段", path: "stages" });
    let weights = ZERO;
    rules.stages.forEach((stage, i) => {
      const path = `stages[${i}]`, label = stage.name || stage.id;
      const full = parse(stage.full_marks), weight = parse(stage.weight_percent);
      const own = [];
      if (!positive(full)) own.push({ code: "full_marks_not_positive", message: `阶段“${label}”的满分必须大于0`, path: `${path}.full_marks` });
      if (weight === null || cmp(weight, ZERO) < 0) own.push({ code: "weight_negative", message: `阶段“${label}”的权重不能为负数`, path: `${path}.weight_percent` });
      weights = add(weights, weight || ZERO);
      if (stage.kind === "imported") {
        if (stage.modules.length) own.push({ code: "imported_stage_has_modules", message: `阶段“${label}”使用导入成绩，不应设置评分模块`, path: `${path}.modules` });
        problems.push(...own);
        return;
      }
      if (!stage.modules.some((m) => m.aspects.length)) own.push({ code: "empty_rubric", message: `阶段“${label}”至少需要一个评分项`, path: `${path}.modules` });
      stage.modules.forEach((m, j) => m.aspects.forEach((a, k) => own.push(...checkAspect(a, `${path}.modules[${j}].aspects[${k}]`))));
      if (!own.length) {
        const maximum = stageMaximum(stage, judges);
        if (maximum !== null && cmp(maximum, full) !== 0) {
          own.push({ code: "full_marks_mismatch", message: `阶段“${label}”各评分项满分乘以系数之和为${text(maximum)}，与阶段满分${stage.full_marks}不一致`, path: `${path}.full_marks` });
        }
      }
      problems.push(...own);
    });
    if (rules.stages.length && rules.final !== "raw_sum" && cmp(weights, frac(100n)) !== 0) {
      problems.push({ code: "weights_not_100", message: `各阶段权重之和应为100，当前为${text(weights)}`, path: "stages" });
    }
    for (const point of ["panel_mark", "factored_aspect", "stage_total", "final"]) {
      const step = rules.rounding[point];
      if (step && step.decimals < 0) problems.push({ code: "rounding_decimals_negative", message: "保留小数位数不能为负数", path: `rounding.${point}.decimals` });
      if (step && step.decimals > 6) problems.push({ code: "rounding_decimals_too_many", message: "保留小数位数最多为6位", path: `rounding.${point}.decimals` });
    }
    const known = { stage: new Set(rules.stages.map((s) => s.id)), module: new Set(rules.stages.flatMap((s) => s.modules.map((m) => m.id))) };
    rules.tie_breaks.forEach((rule, i) => {
      if (known[rule.kind] && !known[rule.kind].has(rule.ref)) {
        problems.push({ code: "unknown_tie_break_ref", message: `决胜规则引用的${rule.kind === "stage" ? "阶段" : "模块"}“${rule.ref}”不存在`, path: `tie_breaks[${i}].ref` });
      }
    });
    if (rules.no_ties_in_top < 0) problems.push({ code: "no_ties_in_top_negative", message: "不允许并列的名次范围不能为负数", path: "no_ties_in_top" });
    problems.push(...tierPolicyProblems(rules.tiers, "tiers", finalMaximum(rules)));
    if (judges != null) problems.push(...validatePanel(rules, judges));
    return problems;
  }

  // Counts, percentages and the score floor of a prize-tier policy whose scores reach `top` (a fraction):
  // the competition's tiers and a team rule's (scoring.rules.declared_checks.tier_policy_problems).
  function tierPolicyProblems(rawTiers, path, top) {
    if (!rawTiers) return [];
    const tiers = { ...DEFAULT_TIERS, ...rawTiers };
    const problems = [];
    if (tiers.counts.some((c) => Number(c) < 0)) problems.push({ code: "tier_count_negative", message: "获奖名额不能为负数", path: `${path}.counts` });
    const percents = tiers.percents.map(parse);
    if (percents.some((p) => p === null || cmp(p, ZERO) < 0) || cmp(percents.reduce((a, p) => add(a, p || ZERO), ZERO), frac(100n)) > 0) {
      problems.push({ code: "tier_percents_invalid", message: "各奖项比例不能为负数，且合计不能超过100%", path: `${path}.percents` });
    }
    const declared = tiers.min_score != null && tiers.min_score !== "";
    const floor = declared ? parse(tiers.min_score) : null;
    if (declared && (floor === null || cmp(floor, ZERO) < 0 || cmp(floor, top) > 0)) {
      problems.push({ code: "min_score_out_of_range", message: `获奖最低分应在0到${text(top)}之间`, path: `${path}.min_score` });
    }
    return problems;
  }

  // The panel problems for `judges` judges on every aspect (the example's panel, not the real one).
  function validatePanel(rules, judges) {
    const problems = [];
    for (const [path, aspect] of aspects(rules)) {
      const name = `评分项“${aspect.id}”`;
      if (aspect.kind === "judgement" && judges < 3) problems.push({ code: "too_few_judges", message: `评价类${name}至少需要3名裁判，当前只有${judges}名`, path, aspect_id: aspect.id });
      if (aspect.min_marks != null && judges < leastMarks(aspect)) {
        problems.push({ code: "too_few_for_min_marks", message: `${name}至少需要${leastMarks(aspect)}名裁判评分，当前只有${judges}名`, path: `${path}.min_marks`, aspect_id: aspect.id });
      }
      if (TRIMMED.has(aspect.combine.method) && judges <= 2 * aspect.combine.trim) {
        problems.push({ code: "trim_drops_all", message: `${name}去掉最高分、最低分各${aspect.combine.trim}个后没有剩余分数（可用裁判${judges}名）`, path: `${path}.combine.trim`, aspect_id: aspect.id });
      }
    }
    return problems;
  }

  // The problem with one judge's mark on an aspect, or null (scoring.rules.validate_mark).
  function checkMark(aspect, raw) {
    const value = parse(raw);
    const name = `评分项“${aspect.name || aspect.id}”`;
    if (value === null) return `${name}的分数不是有效数字`;
    if (aspect.kind === "judgement") return ["0", "1", "2", "3"].some((v) => cmp(value, parse(v)) === 0) ? null : `${name}只能评0、1、2或3分`;
    const max = parse(aspect.max_mark);
    if (aspect.kind === "pass_fail") return cmp(value, ZERO) === 0 || cmp(value, max) === 0 ? null : `${name}只能给0分或满分${aspect.max_mark}`;
    const low = parse(aspect.min_mark ?? "0") || ZERO;
    if (cmp(value, low) < 0 || cmp(value, max) > 0) return `${name}的分数应在${aspect.min_mark ?? "0"}到${aspect.max_mark}之间`;
    if (aspect.step != null && aspect.step !== "" && !isInt(div(value, parse(aspect.step)))) return `${name}的分数应为${aspect.step}的整数倍`;
    return null;
  }

  return {
    parse, frac, add, sub, mul, div, cmp, round, publish, fixed, text, normalise, combine, aggregate, rank, leaderboard,
    publishedStep, shown, validate, roundStandings, leaderboardByRounds, validatePanel, tierPolicyProblems, checkMark, stageMaximum, aspects, leastMarks, finalMaximum,
  };
})();
