// 成绩页面的公共脚本: the competition id from the path, live events (SSE), leaderboard tables.
"use strict";

const Results = (() => {
  // /results/12, /bigscreen/12, /organizer/competitions/12/results ...: the first number in the path.
  function competitionId() {
    const match = location.pathname.match(/\/(\d+)(?:\/|$)/);
    return match ? Number(match[1]) : null;
  }

  // Subscribes to a Server-Sent Events stream; `handlers` maps an event kind to a callback. The browser
  // reconnects by itself; `onState(true|false)` tells the page whether it is live.
  function stream(url, handlers, onState = () => {}) {
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener("ready", () => onState(true));
    source.onerror = () => onState(false);
    for (const [kind, handler] of Object.entries(handlers)) {
      source.addEventListener(kind, (event) => {
        let data = {};
        try { data = JSON.parse(event.data); } catch { /* keep {} */ }
        handler(data);
      });
    }
    return source;
  }

  // Runs `fn` at most once per `ms`, and once more after the last call (a burst of marks = a few refetches).
  function throttle(fn, ms = 600) {
    let timer = null, again = false;
    return function run() {
      if (timer) { again = true; return; }
      fn();
      timer = setTimeout(() => { timer = null; if (again) { again = false; run(); } }, ms);
    };
  }

  function prizeBadge(row) {
    if (row.disqualified) return '<span class="badge bad">取消资格</span>';
    if (!row.prize) return "";
    return `<span class="badge prize prize-${row.tier}">${App.esc(row.prize)}</span>`;
  }

  function rank(row) { return row.rank == null ? "—" : row.rank; }

  function completeness(row) {
    const pct = row.marks_expected ? Math.round((100 * row.marks_in) / row.marks_expected) : 0;
    const cls = row.complete ? "ok" : "warn";
    return `<span class="badge ${cls}" title="评分表 ${row.sheets_in ?? "-"}/${row.sheets_expected ?? "-"}">`
      + `${row.marks_in}/${row.marks_expected}</span> <span class="progress-bar"><span style="width:${pct}%"></span></span>`;
  }

  // A round's cell: its score, or 未晋级 for a round after the cut this contestant missed (never a 0).
  function roundCell(row, round) {
    const cut = row.eliminated_after != null && round.position > row.eliminated_after;
    if (cut) return '<td class="num col-round"><span class="badge">未晋级</span></td>';
    return `<td class="num col-round">${App.esc((row.round_scores || {})[round.id] ?? "")}</td>`;
  }

  // A published (or organizer) leaderboard: columns chosen by what the rows carry. With rounds (轮次) a
  // column per round and 累计 replace the stage columns; module columns (评分模块) follow when the board
  // carries them. On a phone the blind code, station and stage columns give way (.col-*), so rank, name,
  // prize and score stay readable; the table scrolls inside its own frame (.table-wrap).
  function table(target, stages, rows, { names = true, station = true, progress = false, rounds = [], modules = [] } = {}) {
    const head = ['<th class="num">名次</th>', "<th>奖项</th>"];
    if (names) head.push("<th>姓名</th>", '<th class="col-employer">工作单位</th>');
    head.push('<th class="col-code">加密号</th>');
    if (station) head.push('<th class="num col-station">工位号</th>');
    if (rounds.length) {
      for (const round of rounds) head.push(`<th class="num col-round">${App.esc(round.name)}</th>`);
    } else {
      for (const stage of stages) {
        // A raw-sum final adds stage points as they are: the stage shows its full marks, not a weight.
        const under = stage.weighted === false ? `满分 ${App.esc(stage.full_marks)}` : `${App.esc(stage.weight_percent)}%`;
        head.push(`<th class="num col-stage">${App.esc(stage.name)}<br><small>${under}</small></th>`);
      }
    }
    for (const module of modules) head.push(`<th class="num col-module">${App.esc(module.name)}</th>`);
    head.push(`<th class="num">${rounds.length ? "累计" : "总成绩"}</th>`);
    if (progress) head.push("<th>评分进度</th>");
    const body = rows.map((row) => {
      const cells = [`<td class="num rank">${rank(row)}</td>`, `<td class="prize">${prizeBadge(row)}</td>`];
      if (names) cells.push(`<td class="name">${App.esc(row.name ?? "")}</td>`, `<td class="col-employer">${App.esc(row.employer ?? "")}</td>`);
      cells.push(`<td class="code col-code">${App.esc(row.blind_code)}</td>`);
      if (station) cells.push(`<td class="num col-station">${App.esc(row.station_no ?? "")}</td>`);
      if (rounds.length) for (const round of rounds) cells.push(roundCell(row, round));
      else for (const stage of stages) cells.push(`<td class="num col-stage">${App.esc((row.stage_scores || {})[stage.id] ?? "")}</td>`);
      for (const module of modules) cells.push(`<td class="num col-module">${App.esc((row.module_scores || {})[module.id] ?? "")}</td>`);
      // The public is not shown a disqualified contestant's score; organizers see it (the open document has it).
      const score = row.disqualified && !progress ? "—" : App.esc(row.final_score);
      cells.push(`<td class="num score">${score}</td>`);
      if (progress) cells.push(`<td>${completeness(row)}</td>`);
      return `<tr data-code="${App.esc(row.blind_code)}" class="${row.tier ? "tier-" + row.tier : ""}">${cells.join("")}</tr>`;
    });
    target.innerHTML = `<thead><tr>${head.join("")}</tr></thead><tbody>${body.join("")}</tbody>`;
  }

  // Team results (团体): rank, prize, team, its union, score, and the members whose scores count (others muted).
  function teamTable(target, teams) {
    const member = (m) => `<span class="${m.counted ? "" : "muted"}" title="${m.counted ? "计入团体成绩" : "不计入"}">`
      + `${App.esc(m.name || m.blind_code)} ${m.disqualified ? "—" : App.esc(m.final_score)}</span>`;
    const body = teams.map((t) => `<tr data-team="${t.team_no}" class="${t.tier ? "tier-" + t.tier : ""}">
      <td class="num rank">${t.rank ?? "—"}</td><td class="prize">${prizeBadge(t)}</td>
      <td class="name">${App.esc(t.name)}</td><td class="col-employer">${App.esc(t.union ?? "")}</td>
      <td class="num score">${App.esc(t.score)}</td>
      <td>${t.members.map(member).join("、")}${t.ranked ? "" : ' <span class="badge warn">计分人数不足</span>'}</td></tr>`);
    target.innerHTML = `<thead><tr><th class="num">名次</th><th>奖项</th><th>团体</th><th class="col-employer">所属工会</th>
      <th class="num">团体成绩</th><th>成员（灰色不计分）</th></tr></thead><tbody>${body.join("")}</tbody>`;
  }

  // After a "published" or "corrected" event naming `version`, loads until the page shows that version.
  // Behind the load balancer another process may answer before its copy of the old board is dropped (the
  // eviction and the event travel separately), so a page that read the old state asks again, a few times,
  // sooner first. `load` resolves to the version it shows (0 or null for none).
  async function follow(load, version) {
    for (const wait of [0, 250, 500, 1000, 2000, 4000]) {
      if (wait) await new Promise((done) => setTimeout(done, wait));
      const shown = await load().catch(() => null);
      if (!version || (shown || 0) >= version) return;
    }
  }

  // 优秀组织奖: the unions that receive it.
  function awardList(target, awards) {
    const got = awards.filter((a) => a.awarded);
    target.innerHTML = got.map((a) => `<li>${App.esc(a.union)}</li>`).join("") || '<li class="muted">无</li>';
  }

  // GET that returns null on 404 (not published yet) instead of throwing.
  async function maybe(path) {
    try {
      return await App.api("GET", path, undefined, { allowAnonymous: true });
    } catch (error) {
      if (error.status === 404) return null;
      throw error;
    }
  }

  return { competitionId, stream, throttle, follow, table, teamTable, awardList, prizeBadge, completeness, maybe, roundCell };
})();
