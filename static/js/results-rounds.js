// 轮次（初赛、复赛、决赛）on the organizer's results page: each round's cut, 结束本轮 (the cut and the next
// round's starting order are then fixed and audited), who went through, and the next starting order.
"use strict";

const Rounds = (() => {
  const CUTS = { top: "前 {n} 名晋级", min_score: "{s} 分及以上晋级", top_per_union: "各基层工会前 {n} 名晋级", top_per_enterprise: "各企业前 {n} 名晋级" };
  const ORDER = { reverse_rank: "按本轮名次倒序出场（成绩好者后出场）", draw: "重新抽签决定出场顺序" };

  function cutText(round) {
    if (!round.cut) return "最后一轮";
    const tie = round.ties === "tie_break" ? "，并列按决胜规则区分" : "，末位并列者均晋级";
    return CUTS[round.cut].replace("{n}", round.count ?? "").replace("{s}", round.min_score ?? "") + tie;
  }

  function standings(round) {
    if (!round.closed) return "";
    const rows = round.standings.map((s) => `<tr><td class="num">${s.rank}</td><td class="code">${App.esc(s.blind_code)}</td>`
      + `<td class="num">${App.esc(s.station_no)}</td><td class="num">${App.esc(s.score)}</td>`
      + `<td>${s.qualified ? '<span class="badge ok">晋级</span>' : '<span class="badge">未晋级</span>'}</td></tr>`).join("");
    const order = round.start_order.map((s) => `<li><b>${s.start_no}</b> ${App.esc(s.blind_code)}（工位 ${App.esc(s.station_no)}）</li>`).join("");
    return `<div class="table-wrap"><table class="leaderboard"><thead><tr><th class="num">本轮名次</th><th>加密号</th>`
      + `<th class="num">工位号</th><th class="num">本轮排名成绩</th><th>结果</th></tr></thead><tbody>${rows}</tbody></table></div>`
      + (order ? `<h4>下一轮出场顺序</h4><ol class="start-order">${order}</ol>` : "");
  }

  async function render(target, api, { canClose, onClosed, say }) {
    const data = await App.api("GET", `${api}/rounds`);
    const total = data.total === "last" ? "累计成绩只计最后一轮" : "累计成绩为各轮成绩之和";
    target.innerHTML = `<p class="muted">${total}。未晋级的选手在以后各轮不出现在裁判平板上，也不能为其评分。</p>`
      + data.rounds.map((round, i) => {
        const previousOpen = i > 0 && !data.rounds[i - 1].closed;
        const button = canClose && round.cut && !round.closed
          ? `<button type="button" class="secondary" data-close="${App.esc(round.id)}" ${previousOpen ? "disabled" : ""}>结束${App.esc(round.name)}</button>` : "";
        const state = round.closed ? `已结束 · ${App.when(round.closed_at)}` : previousOpen ? "未开始" : "进行中";
        return `<div class="card round" data-round="${App.esc(round.id)}"><h3>${App.esc(round.name)} <small class="muted">${state}</small></h3>`
          + `<p>${App.esc(cutText(round))}${round.cut ? "；" + ORDER[round.next_order] : ""}</p>${button}${standings(round)}</div>`;
      }).join("");
    target.querySelectorAll("[data-close]").forEach((button) => button.addEventListener("click", async () => {
      const round = data.rounds.find((r) => r.id === button.dataset.close);
      const answer = await App.confirm({
        title: `结束${round.name}？`, confirmText: `结束${round.name}`,
        details: [`按“${cutText(round)}”确定晋级名单，并确定下一轮出场顺序。`, "结束后不可撤销；未晋级选手不能再被评分。记入审计日志。"],
        inputs: [{ label: "说明（可选）", maxlength: 500 }],
      });
      if (!answer) return;
      try {
        await App.api("POST", `${api}/rounds/${encodeURIComponent(round.id)}/close`, { reason: answer.values[0] || "" });
        say(`${round.name}已结束，晋级名单和下一轮出场顺序已确定。`);
        await render(target, api, { canClose, onClosed, say });
        onClosed();
      } catch (error) { say(error.message, "bad"); }
    }));
  }

  return { render, cutText };
})();
