// 评分标准模板: the rule sets most competitions use, laid over the competition's own stages (their ids,
// names and weights come from the competition; a template decides how each stage is marked).
"use strict";

const RubricTemplates = (() => {
  const measured = (id, name, max, trim = 1, extra = {}) => ({
    id, name, kind: "measurement", max_mark: String(max), step: "0.5", factor: "1",
    combine: trim ? { method: "trimmed_mean", trim } : { method: "mean", trim: 0 }, ...extra,
  });
  const judged = (id, name, max) => ({ id, name, kind: "judgement", max_mark: String(max), factor: "1", combine: { method: "mean", trim: 0 } });

  // Each rubric stage gets its own ids (p1m1, p1a1 ...): ids are unique across the competition.
  function build(stages, rubric, rest) {
    let n = 0;
    const out = stages.map((stage) => {
      const base = { id: String(stage.id), name: stage.name, weight_percent: String(stage.weight_percent) };
      if (stage.kind === "theory") return { ...base, kind: "imported", full_marks: "100", modules: [] };
      n += 1;
      const { full_marks, modules } = rubric(`p${n}`);
      return { ...base, kind: "rubric", full_marks, modules };
    });
    const practical = out.find((s) => s.kind === "rubric");
    const theory = out.find((s) => s.kind === "imported");
    return { stages: out, ...rest({ practical, theory }) };
  }

  const TEMPLATES = {
    vocational: {
      name: "职业技能竞赛（全国、省市常用）",
      judges: 5,
      text: "理论知识导入考试成绩（百分制）；实际操作按评分表由 5 名裁判独立评分，每项去掉一个最高分和一个最低分后取平均；"
        + "裁判合成分和总成绩四舍五入保留 2 位；总成绩相同时用时短者在前，其次实际操作成绩高者、理论成绩高者在前；"
        + "一、二、三等奖分别不超过参赛人数的 10%、20%、30%。",
      rules: (stages) => build(stages, (p) => ({
        full_marks: "100",
        modules: [
          { id: `${p}m1`, name: "作品质量", aspects: [
            measured(`${p}a1`, "尺寸精度", 30), measured(`${p}a2`, "功能实现", 30), measured(`${p}a3`, "工艺与外观", 20),
          ] },
          { id: `${p}m2`, name: "职业素养", aspects: [
            measured(`${p}a4`, "操作规范", 10), measured(`${p}a5`, "安全文明生产", 10),
            { id: `${p}d1`, name: "违规扣分", kind: "deduction", max_mark: "10", step: "1", factor: "1", combine: { method: "mean", trim: 0 } },
          ] },
        ],
      }), ({ practical, theory }) => ({
        rounding: { panel_mark: { decimals: 2, mode: "half_up" }, factored_aspect: null, stage_total: null, final: { decimals: 2, mode: "half_up" } },
        tie_breaks: [
          { kind: "time_used", ref: null },
          ...(practical ? [{ kind: "stage", ref: practical.id }] : []),
          ...(theory ? [{ kind: "stage", ref: theory.id }] : []),
        ],
        tiers: { method: "percent", counts: [], percents: ["10", "20", "30"], min_score: null },
        no_ties_in_top: 0,
      })),
    },
    worldskills: {
      name: "世界技能大赛评分法（测量分＋评价分）",
      judges: 3,
      text: "每个环节由测量分和评价分组成：测量分按客观标准给分；评价分由 3 名裁判按 0–3 档独立打分，"
        + "按 平均档 ÷ 3 × 满分 折算。评分项得分和总成绩四舍五入保留 2 位；总成绩相同时实际操作成绩高者在前；一、二、三等奖 10%、20%、30%。",
      rules: (stages) => build(stages, (p) => ({
        full_marks: "100",
        modules: [
          { id: `${p}m1`, name: "测量", aspects: [
            measured(`${p}a1`, "关键尺寸", 20, 0), measured(`${p}a2`, "装配与功能", 20, 0),
            { id: `${p}a3`, name: "按时完成", kind: "pass_fail", max_mark: "10", factor: "1", combine: { method: "mean", trim: 0 } },
          ] },
          { id: `${p}m2`, name: "评价", aspects: [
            judged(`${p}a4`, "工艺水平", 20), judged(`${p}a5`, "作品外观", 15), judged(`${p}a6`, "工作组织与管理", 15),
          ] },
        ],
      }), ({ practical }) => ({
        rounding: { panel_mark: null, factored_aspect: { decimals: 2, mode: "half_up" }, stage_total: null, final: { decimals: 2, mode: "half_up" } },
        tie_breaks: practical ? [{ kind: "stage", ref: practical.id }] : [],
        tiers: { method: "percent", counts: [], percents: ["10", "20", "30"], min_score: null },
        no_ties_in_top: 0,
      })),
    },
    sports: {
      name: "体育式裁判组（去掉最高、最低分后求和）",
      judges: 7,
      text: "7 名裁判按 0–10 分（0.5 分一档）独立打分，每个评分项去掉最高分、最低分各 2 个，把中间 3 个分数相加（跳水等项目做法），"
        + "再乘以难度系数；犯规另行扣分。总成绩四舍五入保留 2 位；一、二、三等奖 10%、20%、30%。裁判组须为 7 人。",
      rules: (stages) => build(stages, (p) => ({
        full_marks: "90",
        modules: [
          { id: `${p}m1`, name: "动作完成", aspects: [
            measured(`${p}a1`, "完成质量", 10, 0, { factor: "2", combine: { method: "trimmed_sum", trim: 2 } }),
            measured(`${p}a2`, "动作规范", 10, 0, { combine: { method: "trimmed_sum", trim: 2 } }),
            { id: `${p}d1`, name: "犯规扣分", kind: "deduction", max_mark: "5", step: "0.5", factor: "1", combine: { method: "median", trim: 0 } },
          ] },
        ],
      }), () => ({
        rounding: { panel_mark: null, factored_aspect: null, stage_total: null, final: { decimals: 2, mode: "half_up" } },
        tie_breaks: [],
        tiers: { method: "percent", counts: [], percents: ["10", "20", "30"], min_score: null },
        no_ties_in_top: 0,
      })),
    },
  };

  return { TEMPLATES };
})();
