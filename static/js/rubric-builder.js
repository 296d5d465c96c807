// 评分标准编辑器: stages, modules and aspects as forms (kind, maximum, step, factor, how judges' marks
// combine), where rounding happens, tie-breaks and prizes, each choice explained in Chinese; templates of the
// common rule sets; a worked example (sample marks in, scores, ranks and prizes out, computed exactly by
// RubricEngine as the server would); JSON import and export. Used by the scoring set-up page (a competition's
// rubric) and the programmes page (the expert review rubric, mode "review").
"use strict";

const RubricBuilder = (() => {
  const T = RubricText;
  const E = RubricEngine;
  const Rounds = RubricBuilderRounds;
  const esc = (v) => App.esc(v);
  const LETTERS = "ABCDEFGHIJKL";
  // Who is marked and who marks: contestants and judges, or nominees and experts (mode "review").
  const WORDS = { competition: { subject: "选手", judge: "裁判" }, review: { subject: "候选人", judge: "专家" } };

  // --- paths into the rules ("stages.1.modules.0.aspects.2.max_mark") ---------------------------------------
  function getPath(object, path) {
    return path.split(".").reduce((o, key) => (o == null ? o : o[key]), object);
  }

  function setPath(object, path, value) {
    const keys = path.split(".");
    const last = keys.pop();
    const parent = keys.reduce((o, key) => o[key], object);
    parent[last] = value;
  }

  // "stages[1].modules[0].max_mark" (a problem's path) -> "stages.1.modules.0.max_mark" (a field's path).
  const fieldPath = (problemPath) => problemPath.replace(/\[(\d+)\]/g, ".$1");

  // --- the rules as the API takes them ----------------------------------------------------------------------
  function blankAspect(id) {
    return { id, name: "", kind: "measurement", max_mark: "10", step: "0.5", factor: "1", combine: { method: "mean", trim: 0 } };
  }

  function clean(rules, mode) {
    const stages = rules.stages.map((s) => {
      const base = { id: String(s.id), name: s.name || "", kind: s.kind || "rubric", full_marks: String(s.full_marks ?? ""), weight_percent: String(s.weight_percent) };
      if (base.kind === "imported") return { ...base, modules: [] };
      return {
        ...base,
        modules: s.modules.map((m) => ({
          id: m.id, name: m.name || "",
          aspects: m.aspects.map((a) => {
            const method = (a.combine && a.combine.method) || "mean";
            const aspect = { id: a.id, name: a.name || "", kind: a.kind, max_mark: String(a.max_mark ?? ""), factor: String(a.factor || "1"),
              combine: { method, trim: method.startsWith("trimmed") ? Number((a.combine && a.combine.trim) || 0) : 0 } };
            if ((a.kind === "measurement" || a.kind === "deduction") && a.step != null && String(a.step).trim() !== "") aspect.step = String(a.step).trim();
            const low = a.min_mark == null ? "" : String(a.min_mark).trim();
            if (a.kind === "measurement" && low !== "" && Number(low) !== 0) aspect.min_mark = low;
            if (a.min_marks != null && String(a.min_marks).trim() !== "") aspect.min_marks = Number(a.min_marks);
            return aspect;
          }),
        })),
      };
    });
    const rounding = {};
    for (const point of Object.keys(T.POINTS)) {
      const step = rules.rounding && rules.rounding[point];
      rounding[point] = step ? { decimals: Number(step.decimals), mode: step.mode || "half_up" } : null;
    }
    const out = { stages, rounding };
    if (rules.final === "raw_sum") out.final = "raw_sum";
    if (mode === "review") return { ...out, tie_breaks: [], tiers: null, no_ties_in_top: 0 };
    out.tie_breaks = (rules.tie_breaks || []).map((t) => ({ kind: t.kind, ref: t.kind === "time_used" ? null : t.ref }));
    out.tiers = cleanTiers(rules.tiers);
    out.no_ties_in_top = Number(rules.no_ties_in_top || 0);
    // Rounds, the public module columns, teams, the organisation award and promotion (their own file).
    return { ...out, ...Rounds.clean(rules, cleanTiers) };
  }

  // A prize-tier policy (the competition's or a team rule's) as the API takes it; null: no prizes.
  function cleanTiers(tiers) {
    if (tiers === null) return null;
    return {
      method: tiers.method || "percent",
      counts: (tiers.method === "count" ? tiers.counts : []).map((c) => Number(c)),
      percents: (tiers.method === "count" ? ["10", "20", "30"] : tiers.percents).map(String),
      min_score: tiers.min_score === "" || tiers.min_score == null ? null : String(tiers.min_score),
    };
  }

  // Rules read from the server or a file, with every field the editor shows (a stage missing from the rules
  // takes the competition's stage).
  function complete(rules, stages) {
    const norm = E.normalise(rules || { stages: [] });
    const byId = new Map(norm.stages.map((s) => [String(s.id), s]));
    norm.stages = stages.map((stage) => {
      const own = byId.get(String(stage.id));
      const base = { id: String(stage.id), name: stage.name, weight_percent: String(stage.weight_percent) };
      if (own) return { ...own, ...base };
      return { ...base, kind: stage.kind === "theory" ? "imported" : "rubric", full_marks: "100",
        modules: stage.kind === "theory" ? [] : [{ id: "", name: "", aspects: [] }] };
    });
    if (rules && rules.tiers === null) norm.tiers = null;
    return fillIds({ ...norm, ...Rounds.editable(rules) });
  }

  // New modules and aspects get the first free m1, m2 ... / a1, a2 ... (ids are unique competition-wide).
  function fillIds(rules) {
    const used = new Set();
    for (const s of rules.stages) for (const m of s.modules) { used.add(m.id); for (const a of m.aspects) used.add(a.id); }
    const next = (prefix) => { let n = 1; while (used.has(`${prefix}${n}`)) n += 1; used.add(`${prefix}${n}`); return `${prefix}${n}`; };
    for (const s of rules.stages) {
      for (const m of s.modules) {
        if (!m.id) m.id = next("m");
        if (!m.aspects.length && s.kind !== "imported") m.aspects.push(blankAspect(""));
        for (const a of m.aspects) if (!a.id) a.id = next("a");
      }
    }
    return rules;
  }

  // --- the editor -------------------------------------------------------------------------------------------
  function hint(text, id) { return `<p class="hint" ${id ? `id="${id}"` : ""}>${esc(text)}</p>`; }
  function slot(path) { return `<div class="field-error" data-error-path="${esc(path)}"></div>`; }

  function field(label, path, value, { inputmode = "decimal", width = "", help = "" } = {}) {
    return `<div class="rb-field ${width}"><label for="rb-${esc(path)}">${esc(label)}</label>
      <input id="rb-${esc(path)}" data-path="${esc(path)}" inputmode="${inputmode}" value="${esc(value ?? "")}" autocomplete="off">
      ${help ? hint(help) : ""}${slot(path)}</div>`;
  }

  function select(label, path, value, options, { rerender = true, help = "" } = {}) {
    return `<div class="rb-field"><label for="rb-${esc(path)}">${esc(label)}</label>
      <select id="rb-${esc(path)}" data-path="${esc(path)}" ${rerender ? "data-rerender" : ""}>
        ${(Array.isArray(options) ? options : Object.entries(options)).map(([v, o]) => `<option value="${esc(v)}"${String(v) === String(value) ? " selected" : ""}>${esc(o.name || o)}</option>`).join("")}
      </select>${help ? hint(help) : ""}${slot(path)}</div>`;
  }

  function aspectCard(aspect, path, index, count) {
    const kind = aspect.kind;
    const method = aspect.combine.method;
    const steps = kind === "measurement" || kind === "deduction";
    return `<fieldset class="rb-aspect" data-aspect="${esc(aspect.id)}">
      <legend>评分项 ${index + 1}<span class="muted small"> · 编号 ${esc(aspect.id)}</span></legend>
      <div class="rb-grid">
        ${field("名称", `${path}.name`, aspect.name, { inputmode: "text", width: "wide" })}
        ${select("类型", `${path}.kind`, kind, T.KINDS, { help: T.KINDS[kind].hint })}
        ${field(kind === "deduction" ? "最多扣（分）" : kind === "judgement" ? "满分（3 档全满时）" : "满分", `${path}.max_mark`, aspect.max_mark)}
        ${steps ? field("步长", `${path}.step`, aspect.step) : ""}
        ${field("系数", `${path}.factor`, aspect.factor)}
        ${select("裁判分数合成", `${path}.combine.method`, method, T.METHODS, { help: T.METHODS[method].hint })}
        ${method.startsWith("trimmed") ? field("最高、最低分各去掉几个", `${path}.combine.trim`, aspect.combine.trim, { inputmode: "numeric" }) : ""}
        ${kind === "measurement" ? field("最低分（允许负分）", `${path}.min_mark`, aspect.min_mark === "0" ? "" : aspect.min_mark, {
          help: "留空即最低 0 分。可以为负数，如风力、出发门补偿分 −20 到 20：裁判录入 −4.7 或 6.3。" }) : ""}
        ${field("最少有效评分数", `${path}.min_marks`, aspect.min_marks ?? "", { inputmode: "numeric",
          help: "裁判缺席后，少于此数的评分不合成，该选手显示为未完成。留空按合成方式所需（去掉最高、最低分各 k 个时为 2k+1，否则为 1）。" })}
      </div>
      <p class="row rb-tools">
        <button type="button" class="ghost small" data-act="aspect-up" data-path="${esc(path)}" ${index === 0 ? "disabled" : ""}>上移</button>
        <button type="button" class="ghost small" data-act="aspect-down" data-path="${esc(path)}" ${index === count - 1 ? "disabled" : ""}>下移</button>
        <button type="button" class="ghost small" data-act="aspect-remove" data-path="${esc(path)}">删除此项</button>
      </p>
    </fieldset>`;
  }

  function moduleBlock(module, path) {
    return `<fieldset class="rb-module" data-module="${esc(module.id)}">
      <legend>模块<span class="muted small"> · 编号 ${esc(module.id)}</span></legend>
      <div class="rb-grid">${field("模块名称", `${path}.name`, module.name, { inputmode: "text", width: "wide" })}</div>
      ${module.aspects.map((a, k) => aspectCard(a, `${path}.aspects.${k}`, k, module.aspects.length)).join("")}
      <p class="row rb-tools"><button type="button" class="secondary small" data-act="aspect-add" data-path="${esc(path)}">＋ 添加评分项</button>
        <button type="button" class="ghost small" data-act="module-remove" data-path="${esc(path)}">删除此模块</button></p>
    </fieldset>`;
  }

  function stageBlock(stage, i, source, state) {
    const path = `stages.${i}`;
    const imported = stage.kind === "imported";
    const canImport = state.mode === "competition" && source && source.kind === "theory";
    const total = imported ? null : E.stageMaximum(E.normalise({ stages: [stage] }).stages[0], state.example.judges);
    return `<section class="card rb-stage" data-stage="${esc(stage.id)}">
      <h3>${esc(stage.name || stage.id)} <span class="muted small">${state.rules.final === "raw_sum" ? "原始分计入总分（不折算权重）" : `权重 ${esc(T.num(stage.weight_percent))}%${state.mode === "competition" ? "（在竞赛设置中修改）" : ""}`}</span></h3>
      ${canImport ? select("评分方式", `${path}.kind`, stage.kind, {
        imported: { name: "导入成绩（理论考试分数）" }, rubric: { name: "按评分表由裁判评分" },
      }, { help: imported ? "考试结束后在本页下方上传成绩表（Excel 或 CSV）。" : "由裁判在平板上按下面的评分表评分。" }) : ""}
      <div class="rb-grid">${field("环节满分", `${path}.full_marks`, stage.full_marks, {
        help: imported ? "导入成绩的满分，如 100。" : `各评分项满分 × 系数之和须等于它${total ? `；当前合计 ${E.text(total)}` : ""}（扣分项不计）。`,
      })}</div>
      ${imported ? "" : hint("每个评分项：满分是该项最多得（或扣）的分；步长是给分的最小单位（如 0.5，留空为不限）；系数是得分计入模块前乘的倍数（如难度系数，一般为 1）。")}
      ${imported ? "" : stage.modules.map((m, j) => moduleBlock(m, `${path}.modules.${j}`)).join("")}
      ${imported ? "" : `<p><button type="button" class="secondary" data-act="module-add" data-path="${esc(path)}">＋ 添加模块</button></p>`}
      ${slot(`${path}.modules`)}
    </section>`;
  }

  function roundingBlock(rules) {
    const rows = Object.entries(T.POINTS).map(([point, words]) => {
      const step = rules.rounding[point];
      const path = `rounding.${point}`;
      return `<div class="rb-round" data-point="${point}">
        <label class="check"><input type="checkbox" data-toggle-round="${point}" ${step ? "checked" : ""}> ${esc(words.name)}</label>
        ${step ? `<div class="row">
          <select data-path="${path}.decimals" aria-label="${esc(words.name)}保留位数">${[0, 1, 2, 3, 4].map((d) => `<option value="${d}"${Number(step.decimals) === d ? " selected" : ""}>保留 ${d} 位小数</option>`).join("")}</select>
          <select data-path="${path}.mode" aria-label="${esc(words.name)}取舍方法" data-rerender>${Object.entries(T.MODES).map(([m, w]) => `<option value="${m}"${step.mode === m ? " selected" : ""}>${esc(w.name)}</option>`).join("")}</select>
        </div>${hint(`${words.hint} ${T.MODES[step.mode].hint}`)}` : hint(`${words.hint} 不取舍。`)}
        ${slot(`${path}.decimals`)}</div>`;
    }).join("");
    return `<h3>取舍（保留几位小数，在哪一步）</h3>${hint("只在勾选的步骤取舍，其余步骤按精确值计算（不会因为中间取舍产生误差）。")}${rows}`;
  }

  function tieBlock(rules, stages) {
    const refOptions = (kind, ref) => kind === "stage"
      ? stages.map((s) => `<option value="${esc(s.id)}"${String(ref) === String(s.id) ? " selected" : ""}>${esc(s.name || s.id)}</option>`).join("")
      : stages.flatMap((s) => (s.modules || []).map((m) => `<option value="${esc(m.id)}"${ref === m.id ? " selected" : ""}>${esc(m.name || m.id)}（${esc(s.name)}）</option>`)).join("");
    const rows = rules.tie_breaks.map((t, i) => `<li class="rb-tie">
      <div class="row">
        <select data-path="tie_breaks.${i}.kind" data-rerender aria-label="第 ${i + 1} 条决胜规则">${Object.entries(T.TIE_BREAKS).map(([k, w]) => `<option value="${k}"${t.kind === k ? " selected" : ""}>${esc(w.name)}</option>`).join("")}</select>
        ${t.kind === "time_used" ? "" : `<select data-path="tie_breaks.${i}.ref" aria-label="比较的${t.kind === "stage" ? "环节" : "模块"}">${refOptions(t.kind, t.ref)}</select>`}
        <button type="button" class="ghost small" data-act="tie-up" data-index="${i}" ${i === 0 ? "disabled" : ""}>上移</button>
        <button type="button" class="ghost small" data-act="tie-remove" data-index="${i}">删除</button>
      </div>${hint(T.TIE_BREAKS[t.kind].hint)}${slot(`tie_breaks.${i}.ref`)}</li>`).join("");
    return `<h3>总成绩相同时</h3>${hint("按顺序比较，直到分出先后；全部相同则名次并列（如 1、2、2、4）。")}
      <ol class="rb-ties">${rows || '<li class="muted">不设决胜规则：总成绩相同即并列。</li>'}</ol>
      <p><button type="button" class="secondary small" data-act="tie-add">＋ 添加决胜规则</button></p>
      <label class="check"><input type="checkbox" data-toggle-top ${rules.no_ties_in_top ? "checked" : ""}> 前三名不允许并列</label>
      ${hint("勾选后，如前三名在所有决胜规则后仍并列，系统不会自行排序，而是提示组织者处理后再发布。")}`;
  }

  // Prize tiers at `at` ("tiers", or "teams.tiers" for a team rule's).
  function tierBlock(tiers, at = "tiers", title = "奖项") {
    const method = tiers === null ? "none" : tiers.method || "percent";
    const choose = select("评奖方式", `${at}.method`, method, {
      percent: { name: "按参加排名人数的比例" }, count: { name: "按固定名额" }, none: { name: "不评奖" },
    });
    if (tiers === null) return `<h3>${title}</h3>${choose}`;
    const inputs = T.TIER_NAMES.map((name, i) => method === "count"
      ? field(`${name}（名）`, `${at}.counts.${i}`, tiers.counts[i] ?? "", { inputmode: "numeric" })
      : field(`${name}（%）`, `${at}.percents.${i}`, tiers.percents[i] ?? "", {})).join("");
    return `<h3>${title}</h3>${choose}
      ${hint(method === "count" ? "每个奖项的名额上限。" : "每个奖项的人数 = 参加排名人数 × 比例，向下取整（15 人时 10% 为 1 人）。")}
      <div class="rb-grid">${inputs}${field("获奖最低分（可不填）", `${at}.min_score`, tiers.min_score ?? "", { help: "成绩低于此分者不获奖（仍计入人数）。" })}</div>
      ${slot(`${at}.percents`)}${slot(`${at}.counts`)}
      ${hint("名额是上限：并列者整体放不进某一奖项剩余名额时，整体降入下一奖项，空出的名额不顺延。")}`;
  }

  function finalBlock(rules) {
    const method = rules.final === "raw_sum" ? "raw_sum" : "weighted";
    return `<h3>总分方式</h3>${select("总分方式", "final", method, {
      weighted: { name: "按权重折算为百分制" }, raw_sum: { name: "各阶段原始分相加" },
    }, { help: method === "raw_sum"
      ? "总成绩为各阶段得分直接相加（如跳台滑雪的总分、满分 150 的理论考试），不再按权重折算；各阶段权重不使用。"
      : "每个阶段得分除以该阶段满分再乘以权重，总成绩满分为 100（各阶段权重之和须为 100）。" })}`;
  }

  function editor(state) {
    const rules = state.rules;
    const stages = rules.stages.map((s, i) => stageBlock(s, i, state.stages[i], state)).join("");
    const ranking = state.mode === "competition"
      ? `<section class="card rb-ranking">${finalBlock(rules)}${roundingBlock(rules)}${tieBlock(rules, rules.stages)}${tierBlock(rules.tiers)}</section>`
      : `<section class="card rb-ranking">${roundingBlock(rules)}</section>`;
    const more = state.mode === "competition" ? Rounds.blocks(rules, { field, select, hint, slot, tierBlock }) : "";
    return stages + ranking + more;
  }

  // --- the worked example -----------------------------------------------------------------------------------
  function exampleSubjects(state) {
    const ex = state.example;
    while (ex.subjects.length < ex.count) ex.subjects.push({ id: LETTERS[ex.subjects.length], time_used: "", disqualified: false, imported: {}, marks: {} });
    ex.subjects.length = ex.count;
    return ex.subjects;
  }

  // Plausible sample marks: each contestant a little stronger than the next, judges a little apart.
  function fillExample(state) {
    let seed = 7;
    const random = () => { seed = (seed * 48271) % 2147483647; return seed / 2147483647; };
    const rules = E.normalise(state.rules);
    exampleSubjects(state).forEach((subject, s) => {
      const strength = 0.95 - 0.06 * s;
      subject.time_used = String(1800 + 120 * s);
      for (const stage of rules.stages) if (stage.kind === "imported") subject.imported[stage.id] = String(Math.round(100 * (strength - 0.05 + 0.1 * random())));
      for (const [, aspect] of E.aspects(rules)) {
        subject.marks[aspect.id] = Array.from({ length: state.example.judges }, () => sampleMark(aspect, strength, random));
      }
    });
  }

  function sampleMark(aspect, strength, random) {
    const max = Number(aspect.max_mark) || 0;
    if (aspect.kind === "judgement") return String(Math.max(0, Math.min(3, Math.round(3 * strength + random() - 0.5))));
    if (aspect.kind === "pass_fail") return random() < strength ? String(aspect.max_mark) : "0";
    const step = Number(aspect.step) || 1;
    const value = aspect.kind === "deduction" ? max * 0.3 * random() * (1 - strength) : max * (strength + 0.15 * (random() - 0.5));
    const snapped = Math.max(0, Math.min(max, Math.round(value / step) * step));
    return String(Number(snapped.toFixed(3)));
  }

  function exampleInputs(state) {
    const rules = E.normalise(state.rules);
    const ex = state.example;
    const subject = exampleSubjects(state)[ex.current] || exampleSubjects(state)[0];
    const judges = Array.from({ length: ex.judges }, (_, j) => j);
    const imported = rules.stages.filter((s) => s.kind === "imported").map((s) => field(`${s.name || s.id}成绩`, `x.imported.${s.id}`, subject.imported[s.id], {})).join("");
    const w = WORDS[state.mode];
    const rows = [...E.aspects(rules)].map(([, a]) => `<tr data-aspect="${esc(a.id)}"><th scope="row">${esc(a.name || a.id)}<br><small class="muted">${esc(T.KINDS[a.kind].name)}</small></th>
      ${judges.map((j) => `<td><input class="rb-mark" data-mark="${esc(a.id)}" data-judge="${j}" inputmode="decimal" aria-label="${esc(a.name || a.id)} ${j + 1} 号${w.judge}"
        value="${esc((subject.marks[a.id] || [])[j] ?? "")}"></td>`).join("")}
      <td class="num" data-panel="${esc(a.id)}"></td><td class="num" data-score="${esc(a.id)}"></td></tr>`).join("");
    return `<div class="row rb-tabs" role="tablist">${exampleSubjects(state).map((s, i) => `<button type="button" role="tab" class="${i === ex.current ? "" : "secondary"} small"
        aria-selected="${i === ex.current}" data-act="example-tab" data-index="${i}">${w.subject} ${s.id}</button>`).join("")}</div>
      <div class="rb-grid">${imported}
        ${state.mode === "competition" ? field("用时（秒）", "x.time_used", subject.time_used, { inputmode: "numeric" }) : ""}
        <div class="rb-field"><label class="check"><input type="checkbox" data-example-dq ${subject.disqualified ? "checked" : ""}> 取消资格</label></div></div>
      ${rows ? `<div class="table-wrap"><table class="rb-marks"><thead><tr><th>评分项</th>${judges.map((j) => `<th>${j + 1} 号</th>`).join("")}
        <th class="num">合成分</th><th class="num">得分</th></tr></thead><tbody>${rows}</tbody></table></div>` : ""}
      <div id="rb-mark-errors" class="field-error" aria-live="polite"></div>`;
  }

  function example(state) {
    return `<section class="card rb-example" id="rb-example">
      <h2>计算示例</h2>
      ${hint(`填入几位${WORDS[state.mode].subject}的示例分数，立即看到按当前规则算出的成绩${state.mode === "competition" ? "、名次和奖项" : ""}（与正式计算完全一致）。`)}
      <div class="rb-grid">
        ${field(`示例${WORDS[state.mode].judge}人数`, "x.judges", state.example.judges, { inputmode: "numeric" })}
        ${field(`示例${WORDS[state.mode].subject}人数`, "x.count", state.example.count, { inputmode: "numeric" })}
      </div>
      <p class="row"><button type="button" class="secondary" data-act="example-fill">填入示例分数</button>
        <button type="button" class="ghost" data-act="example-clear">清空</button></p>
      <div id="rb-example-inputs">${exampleInputs(state)}</div>
      <h3>示例结果</h3>
      <div id="rb-example-problems" class="notice warn" hidden></div>
      <p id="rb-rounds-note" class="hint" hidden></p>
      <div class="table-wrap"><table id="rb-results" class="rb-results"></table></div>
    </section>`;
  }

  function exampleData(state) {
    const subjects = exampleSubjects(state);
    const marks = [];
    const errors = [];
    const rules = E.normalise(state.rules);
    const byId = new Map([...E.aspects(rules)].map(([, a]) => [a.id, a]));
    for (const s of subjects) {
      for (const [aspectId, values] of Object.entries(s.marks)) {
        const aspect = byId.get(aspectId);
        if (!aspect) continue;
        values.slice(0, state.example.judges).forEach((value, judge) => {
          if (value === undefined || String(value).trim() === "") return;
          const problem = E.checkMark(aspect, value);
          if (problem) errors.push(`${WORDS[state.mode].subject} ${s.id}：${problem}`);
          else marks.push({ subject: s.id, aspect: aspectId, judge, value: String(value).trim() });
        });
      }
    }
    return { subjects: subjects.map((s) => ({ id: s.id, imported: s.imported, time_used: s.time_used || null, disqualified: s.disqualified })), marks, errors };
  }

  function renderResults(root, state, problems) {
    const table = root.querySelector("#rb-results");
    const box = root.querySelector("#rb-example-problems");
    const { subjects, marks, errors } = exampleData(state);
    root.querySelector("#rb-mark-errors").textContent = errors.join("；");
    if (problems.length) {
      box.hidden = false;
      box.textContent = `请先修改评分标准中的 ${problems.length} 处问题（见上方标出的位置），示例才能计算。`;
      table.innerHTML = "";
      state.lastBoard = null;
      return;
    }
    box.hidden = true;
    const rules = clean(state.rules, state.mode);
    const board = rules.rounds ? E.leaderboardByRounds(rules, subjects, marks) : E.leaderboard(rules, subjects, marks);
    state.lastBoard = board;
    const current = subjects[state.example.current] || subjects[0];
    const mine = board.results.find((r) => current && r.subject_id === current.id);
    for (const [aspectId, score] of Object.entries(mine ? mine.aspect_scores : {})) {
      const panel = root.querySelector(`[data-panel="${CSS.escape(aspectId)}"]`);
      const total = root.querySelector(`[data-score="${CSS.escape(aspectId)}"]`);
      if (panel) panel.textContent = score.panel_mark ? E.text(score.panel_mark) : "—";
      if (total) total.textContent = E.text(score.score);
    }
    const stages = rules.stages;
    const who = WORDS[state.mode].subject;
    const note = root.querySelector("#rb-rounds-note");
    note.hidden = !rules.rounds;
    if (rules.rounds) return roundsResults(table, note, board, rules, who);
    table.innerHTML = `<thead><tr><th>${who}</th>${stages.map((s) => `<th class="num">${esc(s.name || s.id)}</th>`).join("")}
      <th class="num">总成绩</th>${state.mode === "competition" ? "<th class=\"num\">名次</th><th>奖项</th>" : ""}</tr></thead><tbody>
      ${board.results.map((r) => `<tr data-subject="${esc(r.subject_id)}"><td>${who} ${esc(r.subject_id)}${r.complete ? "" : ' <span class="badge warn">未评完</span>'}</td>
        ${stages.map((s) => `<td class="num" data-stage-score="${esc(s.id)}">${E.shown(r.stage_scores[s.id], rules)}</td>`).join("")}
        <td class="num score" data-final>${E.shown(r.final_score, rules)}</td>
        ${state.mode === "competition" ? `<td class="num" data-rank>${r.rank ?? "—"}</td><td data-tier>${r.disqualified ? '<span class="badge bad">取消资格</span>' : r.tier ? esc(T.TIER_NAMES[r.tier - 1]) : ""}</td>` : ""}</tr>`).join("")}
      </tbody>${board.unresolved_ties.length ? `<caption class="notice warn">${tiesText(board, who)}</caption>` : ""}`;
  }

  const tiesText = (board, who) => board.unresolved_ties.map((t) => `第 ${t.rank} 名并列：${who} ${t.subject_ids.join("、")}（须由组织者处理）`).join("；");

  // With rounds: each round as the organizer closes it (its cut on its own standing), then a column per round
  // (未晋级 for one not reached), the total, the rank and the prize, as the server computes them.
  function roundsResults(table, note, board, rules, who) {
    const rounds = rules.rounds.rounds;
    const cell = (value) => (value === undefined ? '<span class="muted">未晋级</span>' : E.shown(value, rules));
    const perGroup = rounds.some((x) => x.cut === "top_per_union" || x.cut === "top_per_enterprise");
    note.textContent = `按轮次计算：每轮结束时按晋级规则确定下一轮选手（${perGroup ? "示例选手不分工会、单位，按同一组计算；" : ""}正式比赛由组织者在成绩页结束本轮）。`;
    table.innerHTML = `${board.unresolved_ties.length ? `<caption class="notice warn">${esc(tiesText(board, who))}</caption>` : ""}
      <thead><tr><th>${who}</th>${rules.stages.map((s) => `<th class="num">${esc(s.name || s.id)}</th>`).join("")}
        ${rounds.map((x) => `<th class="num">${esc(x.name || x.id)}</th>`).join("")}
        <th class="num">${rules.rounds.total === "sum" ? "累计" : "总成绩"}</th><th class="num">名次</th><th>奖项</th></tr></thead><tbody>
      ${board.results.map((r) => `<tr data-subject="${esc(r.subject_id)}"><td>${who} ${esc(r.subject_id)}${r.complete ? "" : ' <span class="badge warn">未评完</span>'}
          ${r.eliminated_after == null ? "" : `<span class="badge" data-cut>${esc(rounds[r.eliminated_after].name || `第 ${r.eliminated_after + 1} 轮`)}后未晋级</span>`}</td>
        ${rules.stages.map((s) => `<td class="num" data-stage-score="${esc(s.id)}">${cell(r.stage_scores[s.id])}</td>`).join("")}
        ${rounds.map((x) => `<td class="num" data-round-score="${esc(x.id)}">${cell(r.round_scores[x.id])}</td>`).join("")}
        <td class="num score" data-final>${E.shown(r.final_score, rules)}</td><td class="num" data-rank>${r.rank ?? "—"}</td>
        <td data-tier>${r.disqualified ? '<span class="badge bad">取消资格</span>' : r.tier ? esc(T.TIER_NAMES[r.tier - 1]) : ""}</td></tr>`).join("")}
      </tbody>`;
  }

  // --- templates, JSON ----------------------------------------------------------------------------------------
  function templates(state) {
    if (state.mode !== "competition") return "";
    return `<section class="card rb-templates"><h2>从模板开始</h2>
      ${hint("选择与本赛项相近的规则，再按评分细则修改名称和分值。套用模板会替换下面的全部设置。")}
      <div class="rb-template-list">${Object.entries(RubricTemplates.TEMPLATES).map(([key, t]) => `<div class="rb-template">
        <h3>${esc(t.name)}</h3><p class="small">${esc(t.text)}</p>
        <button type="button" class="secondary" data-act="template" data-template="${key}">套用此模板</button></div>`).join("")}</div></section>`;
  }

  function jsonBlock() {
    return `<details class="card rb-json"><summary>导入或导出 JSON（高级）</summary>
      ${hint("可把评分标准导出为 JSON 文件保存或分享，也可粘贴别处导出的 JSON 导入（导入后仍可在上面修改）。")}
      <textarea id="rb-json" rows="10" class="mono" spellcheck="false" aria-label="评分标准 JSON"></textarea>
      <p class="row"><button type="button" class="secondary small" data-act="json-export">显示当前设置</button>
        <button type="button" class="secondary small" data-act="json-import">导入</button>
        <button type="button" class="ghost small" data-act="json-download">下载文件</button></p>
      <div class="field-error" id="rb-json-error"></div></details>`;
  }

  // A selector for the same control after a render (its data attributes, and a checkbox's value): a stage's box
  // in a round keeps the focus when the round's form is drawn again.
  function focusKey(el) {
    const data = Object.entries(el.dataset).map(([key, value]) => `[data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${CSS.escape(value)}"]`);
    if (!data.length) return null;
    return `${el.tagName.toLowerCase()}${data.join("")}${el.type === "checkbox" ? `[value="${CSS.escape(el.value)}"]` : ""}`;
  }

  // --- mounting -----------------------------------------------------------------------------------------------
  function mount(target, { stages, rules = null, mode = "competition", readOnly = false, judges = 5, onChange = () => {} }) {
    const root = target.cloneNode(false); // mounting again (after a save) must not keep the old listeners
    target.replaceWith(root);
    const state = {
      mode, stages, readOnly, onChange,
      rules: complete(rules, stages),
      example: { judges, count: mode === "review" ? 3 : 10, subjects: [], current: 0 },
      lastBoard: null,
    };
    if (!rules) state.rules.tiers = mode === "review" ? null : state.rules.tiers;
    root.classList.add("rubric-builder");

    function render() {
      const focused = document.activeElement && root.contains(document.activeElement) ? focusKey(document.activeElement) : null;
      const summary = `<section class="card rb-summary"><h2>评分标准说明</h2>${hint("按当前设置自动生成，公开成绩文件和裁判看到的即是这些规则。")}<div id="rb-summary"></div></section>`;
      // Locked (scoring has started): the rules in words first, the example, the form folded away.
      root.innerHTML = readOnly
        ? `<div id="rb-problems" class="notice bad" hidden></div>${summary}${example(state)}
          <details class="card rb-readonly"><summary>逐项查看全部设置（只读）</summary><div class="rb-editor">${editor(state)}</div></details>`
        : `${templates(state)}
          <div id="rb-problems" class="notice bad" hidden aria-live="polite"></div>
          <div class="rb-editor">${editor(state)}</div>
          ${example(state)}${summary}${jsonBlock()}`;
      if (readOnly) root.querySelectorAll(".rb-editor input, .rb-editor select, .rb-editor button").forEach((el) => { el.disabled = true; });
      if (focused) { const el = root.querySelector(focused); if (el) el.focus(); }
      refresh();
    }

    function problems() {
      const rulesNow = clean(state.rules, state.mode);
      const declared = state.mode === "competition" ? Rounds.problems(rulesNow) : [];
      return [...E.validate(rulesNow, { judges: state.example.judges }), ...declared];
    }

    function showProblems(list, prefix = "") {
      root.querySelectorAll("[data-error-path]").forEach((el) => { el.textContent = ""; });
      root.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      const box = root.querySelector("#rb-problems");
      const unplaced = [];
      for (const p of list) {
        const path = fieldPath(p.path.startsWith(prefix) ? p.path.slice(prefix.length) : p.path);
        const target = root.querySelector(`[data-error-path="${CSS.escape(path)}"]`);
        const input = root.querySelector(`[data-path="${CSS.escape(path)}"]`);
        if (input) input.setAttribute("aria-invalid", "true");
        if (target) target.textContent = p.message; else unplaced.push(p.message);
      }
      box.hidden = !list.length;
      box.innerHTML = list.length ? `评分标准有 ${list.length} 处问题${unplaced.length ? "：" : "，已在下面标出。"}<ul>${unplaced.map((m) => `<li>${esc(m)}</li>`).join("")}</ul>` : "";
    }

    function refresh() {
      const list = problems();
      showProblems(list);
      renderResults(root, state, list);
      const cleaned = clean(state.rules, state.mode);
      root.querySelector("#rb-summary").innerHTML = T.summary(cleaned, { judges: state.example.judges, showTiers: state.mode === "competition", who: WORDS[state.mode].judge });
      state.onChange(cleaned, list);
    }

    function onInput(event) {
      const el = event.target;
      if (el.matches("[data-mark]")) {
        const subject = exampleSubjects(state)[state.example.current];
        (subject.marks[el.dataset.mark] ||= [])[Number(el.dataset.judge)] = el.value;
        return refresh();
      }
      if (el.matches("[data-example-dq]")) { exampleSubjects(state)[state.example.current].disqualified = el.checked; return refresh(); }
      if (el.matches("[data-toggle-round]")) {
        state.rules.rounding[el.dataset.toggleRound] = el.checked ? { decimals: 2, mode: "half_up" } : null;
        return render();
      }
      if (el.matches("[data-toggle-top]")) { state.rules.no_ties_in_top = el.checked ? 3 : 0; return refresh(); }
      const path = el.dataset.path;
      if (path && path.startsWith("x.")) return onExampleField(path.slice(2), el, event.type);
      const declared = state.mode === "competition" ? Rounds.onInput(state.rules, el) : null;
      if (declared) return declared === "render" ? render() : refresh();
      if (!path) return;
      if (/^(teams\.)?tiers\.method$/.test(path)) {
        const at = path.replace(/\.method$/, "");
        const tiers = el.value === "none" ? null : { ...(getPath(state.rules, at) || { counts: [], percents: ["10", "20", "30"], min_score: null }), method: el.value };
        if (tiers && el.value === "count" && !tiers.counts.length) tiers.counts = [1, 2, 3];
        setPath(state.rules, at, tiers);
        return render();
      }
      let value = el.value;
      if (/\.(trim|decimals)$/.test(path)) value = Number(value || 0);
      if (/\.min_marks$/.test(path)) value = value.trim() === "" ? null : Number(value);
      if (/\.min_mark$/.test(path)) value = value.trim() === "" ? "0" : value.trim();
      if (/\.kind$/.test(path) && path.startsWith("tie_breaks")) {
        const i = Number(path.split(".")[1]);
        const ref = value === "stage" ? state.rules.stages.at(-1).id : value === "module" ? firstModuleId(state.rules) : null;
        state.rules.tie_breaks[i] = { kind: value, ref };
        return render();
      }
      setPath(state.rules, path, value);
      if (/^stages\.\d+\.kind$/.test(path)) onStageKind(Number(path.split(".")[1]));
      if (/aspects\.\d+\.kind$/.test(path)) onAspectKind(getPath(state.rules, path.replace(/\.kind$/, "")));
      if (/combine\.method$/.test(path)) {
        const combine = getPath(state.rules, path.replace(/\.method$/, ""));
        combine.trim = value.startsWith("trimmed") ? Math.max(1, Number(combine.trim || 0)) : 0;
      }
      if (el.hasAttribute("data-rerender") && event.type === "change") render(); else refresh();
    }

    function onExampleField(name, el, type) {
      const ex = state.example;
      const subject = exampleSubjects(state)[ex.current];
      if (name === "judges" || name === "count") {
        const n = Math.max(1, Math.min(name === "judges" ? 15 : 12, Number(el.value) || 1));
        ex[name] = n;
        if (type === "change") { ex.current = Math.min(ex.current, ex.count - 1); return render(); }
        return;
      }
      if (name === "time_used") subject.time_used = el.value.trim();
      else if (name.startsWith("imported.")) subject.imported[name.slice(9)] = el.value.trim();
      refresh();
    }

    function onStageKind(i) {
      const stage = state.rules.stages[i];
      if (stage.kind === "imported") { stage.modules = []; stage.full_marks = "100"; }
      else if (!stage.modules.length) stage.modules = [{ id: nextId("m"), name: "", aspects: [blankAspect(nextId("a"))] }];
    }

    function onAspectKind(aspect) {
      if (aspect.kind !== "measurement") aspect.min_mark = "0";
      if (aspect.kind === "judgement" || aspect.kind === "pass_fail") aspect.step = null;
      else if (aspect.step == null) aspect.step = "0.5";
    }

    function nextId(prefix) {
      const used = new Set();
      for (const s of state.rules.stages) for (const m of s.modules) { used.add(m.id); for (const a of m.aspects) used.add(a.id); }
      let n = 1;
      while (used.has(`${prefix}${n}`)) n += 1;
      return `${prefix}${n}`;
    }

    const firstModuleId = (rules) => (rules.stages.flatMap((s) => s.modules)[0] || {}).id || null;

    async function onClick(event) {
      const button = event.target.closest("[data-act]");
      if (!button || !root.contains(button)) return;
      const act = button.dataset.act;
      const path = button.dataset.path;
      const list = (p) => getPath(state.rules, p);
      const index = (p) => Number(p.split(".").pop());
      const parent = (p) => p.split(".").slice(0, -1).join(".");
      if (act === "template") return applyTemplate(button.dataset.template);
      if (Rounds.onClick(state.rules, act, button)) return render();
      if (act === "module-add") list(path).modules.push({ id: nextId("m"), name: "", aspects: [blankAspect(nextId("a"))] });
      if (act === "module-remove") list(parent(path)).splice(index(path), 1);
      if (act === "aspect-add") list(path).aspects.push(blankAspect(nextId("a")));
      if (act === "aspect-remove") list(parent(path)).splice(index(path), 1);
      if (act === "aspect-up" || act === "aspect-down") {
        const items = list(parent(path)); const i = index(path); const j = act === "aspect-up" ? i - 1 : i + 1;
        [items[i], items[j]] = [items[j], items[i]];
      }
      if (act === "tie-add") state.rules.tie_breaks.push({ kind: "time_used", ref: null });
      if (act === "tie-remove") state.rules.tie_breaks.splice(Number(button.dataset.index), 1);
      if (act === "tie-up") { const t = state.rules.tie_breaks; const i = Number(button.dataset.index); [t[i - 1], t[i]] = [t[i], t[i - 1]]; }
      if (act === "example-tab") state.example.current = Number(button.dataset.index);
      if (act === "example-fill") fillExample(state);
      if (act === "example-clear") state.example.subjects = [];
      if (act.startsWith("json-")) return json(act);
      render();
    }

    async function applyTemplate(key) {
      const template = RubricTemplates.TEMPLATES[key];
      const ok = await App.confirm({
        title: `套用“${template.name}”？`, tone: "normal", confirmText: "套用模板",
        details: ["下面的环节、模块、评分项、取舍、决胜和奖项设置全部替换为模板的设置（轮次、团体和晋升设置保留）。", "保存之前不会生效，可以继续修改。"],
      });
      if (!ok) return;
      // The template replaces the scoring; rounds, teams and promotion stay as they are (they name stages only).
      const { rounds, public_modules: shown, teams, organisation_award: award, promotion } = state.rules;
      state.rules = { ...complete(template.rules(state.stages), state.stages), rounds, public_modules: shown, teams, organisation_award: award, promotion };
      state.example = { judges: template.judges, count: 10, subjects: [], current: 0 };
      fillExample(state);
      render();
      root.querySelector(".rb-editor").scrollIntoView({ block: "start" });
    }

    function json(act) {
      const area = root.querySelector("#rb-json");
      const error = root.querySelector("#rb-json-error");
      error.textContent = "";
      const text = JSON.stringify(clean(state.rules, state.mode), null, 2);
      if (act === "json-export") area.value = text;
      if (act === "json-download") {
        const link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
        link.download = "评分标准.json";
        link.click();
        URL.revokeObjectURL(link.href);
      }
      if (act === "json-import") {
        let parsed;
        try { parsed = JSON.parse(area.value); } catch (e) { error.textContent = `不是有效的 JSON：${e.message}`; return; }
        if (!parsed || !Array.isArray(parsed.stages)) { error.textContent = "JSON 中没有 stages（环节）"; return; }
        const unknown = parsed.stages.filter((s) => !state.stages.some((own) => String(own.id) === String(s.id)));
        if (unknown.length) { error.textContent = `环节编号 ${unknown.map((s) => s.id).join("、")} 不是本${state.mode === "competition" ? "竞赛" : "评选"}的环节`; return; }
        state.rules = complete(parsed, state.stages);
        render();
      }
    }

    fillExample(state);
    root.addEventListener("input", onInput);
    root.addEventListener("change", onInput);
    root.addEventListener("click", onClick);
    render();

    return {
      rules: () => clean(state.rules, state.mode),
      problems,
      showProblems,
      board: () => state.lastBoard,
      setReadOnly(value) { state.readOnly = readOnly = value; render(); },
      setRules(next) { state.rules = complete(next, state.stages); render(); },
    };
  }

  return { mount, clean, complete };
})();
