// 评分表的规则 for the tablets (judge.js, review.js): what the judgement levels 0–3 mean, whether a typed mark
// fits its aspect, and a sheet's running total, all in exact decimals: marks are read as BigInt fractions,
// never as floats (0.1 + 0.2 is 0.3 here), and rounded only when shown.
//
// A sheet's total follows the scoring engine (scoring/rules.py) for one judge's marks: an aspect scores its
// mark x factor; a judgement level scores level / 3 x max_mark x factor; a deduction subtracts; a module is
// the sum of its aspects; the sheet is the sum of its modules, never below 0.
"use strict";

const Rubric = (() => {
  // WorldSkills judgement marking (评价分): the one place for what each level means.
  const LEVELS = [
    { value: "0", short: "低于标准", text: "低于行业标准" },
    { value: "1", short: "达到标准", text: "达到行业标准" },
    { value: "2", short: "部分超出", text: "达到行业标准，并在某些方面超出" },
    { value: "3", short: "优秀", text: "优秀：全面超出行业标准" },
  ];
  const JUDGEMENT_SCALE = 3n;
  const SHOWN_DECIMALS = 2; // a total that does not end (a judgement's thirds) is shown as ≈ x.xx

  // --- exact fractions: { n, d } with BigInt n and d > 0 ----------------------------------------------------
  const ZERO = { n: 0n, d: 1n };
  const DECIMAL = /^(?=\.?\d)(\d*)(?:\.(\d*))?$/;

  function parse(text) {
    const match = DECIMAL.exec(String(text ?? "").trim());
    if (!match) return null;
    const fraction = match[2] || "";
    return { n: BigInt((match[1] || "0") + fraction), d: 10n ** BigInt(fraction.length) };
  }

  function gcd(a, b) {
    a = a < 0n ? -a : a;
    while (b) [a, b] = [b, a % b];
    return a || 1n;
  }
  function reduce({ n, d }) {
    const g = gcd(n, d);
    return { n: n / g, d: d / g };
  }
  const add = (x, y) => reduce({ n: x.n * y.d + y.n * x.d, d: x.d * y.d });
  const times = (x, y) => reduce({ n: x.n * y.n, d: x.d * y.d });
  const compare = (x, y) => (x.n * y.d > y.n * x.d) - (x.n * y.d < y.n * x.d);

  // --- one mark -------------------------------------------------------------------------------------------
  // What is wrong with a typed mark, in Chinese; null when it fits (an empty text is for the caller to judge).
  function problem(aspect, text) {
    const typed = String(text ?? "").trim();
    if (typed === "") return null;
    if (/^-\s*\.?\d/.test(typed)) return `应在 0 到 ${aspect.max_mark} 之间`;
    const value = parse(typed);
    if (!value) return "请输入数字";
    if (compare(value, parse(aspect.max_mark)) > 0) return `应在 0 到 ${aspect.max_mark} 之间`;
    const step = aspect.step && parse(aspect.step);
    if (step && step.n && (value.n * step.d) % (step.n * value.d) !== 0n) return `应为 ${aspect.step} 的整数倍`;
    return null;
  }

  // The signed score of one mark (null when the text is not a number).
  function points(aspect, text) {
    const value = parse(text);
    if (!value) return null;
    let score = times(value, parse(aspect.factor ?? "1") || { n: 1n, d: 1n });
    if (aspect.kind === "judgement") score = times(score, times(parse(aspect.max_mark), { n: 1n, d: JUDGEMENT_SCALE }));
    return aspect.kind === "deduction" ? { n: -score.n, d: score.d } : score;
  }

  function most(aspect) {
    return aspect.kind === "deduction" ? ZERO : times(parse(aspect.max_mark), parse(aspect.factor ?? "1") || { n: 1n, d: 1n });
  }

  // --- a sheet ----------------------------------------------------------------------------------------------
  // modules: [{ id, aspects: [{ id, kind, max_mark, factor?, step? }] }]; marks: { aspectId: text }.
  // Gives { modules: { id: { total, max, marked, count } }, total, max, marked, count } with exact totals.
  function totals(modules, marks) {
    const sheet = { modules: {}, total: ZERO, max: ZERO, marked: 0, count: 0 };
    for (const module of modules) {
      const part = { total: ZERO, max: ZERO, marked: 0, count: module.aspects.length };
      for (const aspect of module.aspects) {
        part.max = add(part.max, most(aspect));
        const score = problem(aspect, marks[aspect.id]) ? null : points(aspect, marks[aspect.id]);
        if (score === null) continue;
        part.total = add(part.total, score);
        part.marked += 1;
      }
      sheet.modules[module.id] = part;
      sheet.total = add(sheet.total, part.total);
      sheet.max = add(sheet.max, part.max);
      sheet.marked += part.marked;
      sheet.count += part.count;
    }
    if (sheet.total.n < 0n) sheet.total = ZERO; // deductions never take a sheet below 0
    return sheet;
  }

  // --- showing a number ---------------------------------------------------------------------------------------
  // Exact when the fraction ends ("81.5", "0.3"); otherwise "≈" and SHOWN_DECIMALS places, half up ("≈13.33").
  function format(value) {
    const { n, d } = reduce(value);
    let rest = d;
    let twos = 0;
    let fives = 0;
    while (rest % 2n === 0n) { rest /= 2n; twos += 1; }
    while (rest % 5n === 0n) { rest /= 5n; fives += 1; }
    if (rest === 1n) return digits(n * 10n ** BigInt(Math.max(twos, fives)) / d, Math.max(twos, fives));
    const scaled = 10n ** BigInt(SHOWN_DECIMALS);
    const magnitude = (2n * (n < 0n ? -n : n) * scaled + d) / (2n * d); // half up, away from zero
    return "≈" + digits(n < 0n ? -magnitude : magnitude, SHOWN_DECIMALS);
  }

  // An integer of `places` implied decimals as text, without trailing zeros: 8150n, 2 -> "81.5".
  function digits(value, places) {
    const sign = value < 0n ? "-" : "";
    const text = (value < 0n ? -value : value).toString().padStart(places + 1, "0");
    const whole = text.slice(0, text.length - places);
    const fraction = text.slice(text.length - places).replace(/0+$/, "");
    return sign + whole + (fraction ? "." + fraction : "");
  }

  return { LEVELS, parse, problem, points, totals, format };
})();
