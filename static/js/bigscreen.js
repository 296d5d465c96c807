// 大屏: the venue screen. Before publication the provisional board by blind code; after, the published names.
// However many rows there are, the screen shows as many as fit and turns the page by itself every few
// seconds (?seconds=N), saying which page it is on, which version it shows and when it was last updated.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const id = Results.competitionId();
  const board = $("#board");
  const params = new URLSearchParams(location.search);
  const SECONDS = Math.max(1, Number(params.get("seconds")) || 10);
  const clock = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  let published = false;
  let page = 0;
  let pages = 1;
  let timer = null;

  function rows(list, cells) {
    return list.map((row) => `<tr class="${row.tier ? "tier-" + row.tier : ""}" data-code="${App.esc(row.blind_code)}">${cells(row)}</tr>`).join("");
  }

  function showPublished(data) {
    published = true;
    $("#title").textContent = data.competition.title;
    $("#phase").textContent = `正式成绩 · 第 ${data.version} 版`;
    $("#version").textContent = `发布于 ${App.when(data.published_at)}`;
    board.dataset.phase = "published";
    board.dataset.version = data.version;
    // With rounds: a column per round (未晋级 for a round not reached, never 0) and 累计; chosen module columns.
    const rounds = data.rounds || [], modules = data.modules || [];
    const extra = rounds.map((x) => `<th>${App.esc(x.name)}</th>`).join("") + modules.map((m) => `<th>${App.esc(m.name)}</th>`).join("");
    board.innerHTML = `<thead><tr><th>名次</th><th>姓名</th><th>工作单位</th>${extra}<th>${rounds.length ? "累计" : "总成绩"}</th><th>奖项</th></tr></thead><tbody>`
      + rows(data.rows, (r) => `<td class="rank">${r.rank ?? "—"}</td><td class="name">${App.esc(r.name)}</td>`
        + `<td class="employer">${App.esc(r.employer)}</td>`
        + rounds.map((x) => Results.roundCell(r, x)).join("")
        + modules.map((m) => `<td class="num col-module">${App.esc((r.module_scores || {})[m.id] ?? "")}</td>`).join("")
        + `<td class="score">${r.disqualified ? "—" : App.esc(r.final_score)}</td>`
        + `<td>${Results.prizeBadge(r)}</td>`) + "</tbody>";
    $("#empty").hidden = data.rows.length > 0;
  }

  function showProvisional(data) {
    $("#title").textContent = data.competition.title;
    $("#phase").textContent = "实时成绩（加密号，未经确认）";
    $("#version").textContent = `更新于 ${clock.format(new Date(data.as_of))}`;
    board.dataset.phase = "provisional";
    board.innerHTML = `<thead><tr><th>名次</th><th>加密号</th><th>实时成绩</th><th>评分进度</th></tr></thead><tbody>`
      + rows(data.rows, (r) => `<td class="rank">${r.rank ?? "—"}</td><td class="code">${App.esc(r.blind_code)}</td>`
        + `<td class="score">${r.disqualified ? "—" : App.esc(r.final_score)}</td><td>${Results.completeness(r)}</td>`) + "</tbody>";
    $("#empty").hidden = data.rows.length > 0;
  }

  // The list of published competitions (or a "published" event) says whether there is a board to show, so
  // the screen never asks for one that is not there (a 404 the console would show).
  async function isPublished() {
    if (published) return true;
    const list = await App.api("GET", "/api/public/results", undefined, { allowAnonymous: true });
    return list.some((p) => p.competition.id === id);
  }

  async function load() {
    const known = await isPublished();
    const data = known ? await Results.maybe(`/api/public/competitions/${id}/leaderboard`) : null;
    if (data && data.version < Number(board.dataset.version || 0)) return Number(board.dataset.version);
    if (data) {
      showPublished(data);
    } else {
      const provisional = await Results.maybe(`/api/public/competitions/${id}/provisional`);
      if (provisional) showProvisional(provisional); else $("#empty").hidden = false;
    }
    paginate();
    return data ? data.version : null;
  }

  // --- pages ------------------------------------------------------------------------------------------------------
  // Rows that fit below the header, measured on the rows themselves (font sizes follow the screen).
  function perPage(all) {
    if (!all.length) return 1;
    all.forEach((tr) => { tr.hidden = false; });
    const top = board.tBodies[0].getBoundingClientRect().top;
    const room = window.innerHeight - top - $("#pager").offsetHeight - 8;
    const height = Math.max(...all.slice(0, 5).map((tr) => tr.getBoundingClientRect().height)) || 1;
    return Math.max(1, Math.floor(room / height));
  }

  function paginate(turned = false) {
    const body = board.tBodies[0];
    const all = body ? [...body.rows] : [];
    const size = perPage(all);
    pages = Math.max(1, Math.ceil(all.length / size));
    page = Math.min(page, pages - 1);
    all.forEach((tr, i) => { tr.hidden = Math.floor(i / size) !== page; });
    board.dataset.page = String(page + 1);
    board.dataset.pages = String(pages);
    const pager = $("#pager");
    pager.hidden = pages < 2;
    pager.querySelector(".bs-page").textContent = `第 ${page + 1} / ${pages} 页 · 共 ${all.length} 人`;
    if (!turned) return; // new data keeps the page and its time; only a turn restarts the bar
    const bar = pager.querySelector(".bs-progress > span");
    bar.style.animation = "none";
    void bar.offsetWidth;
    bar.style.animation = pages > 1 ? `bs-progress ${SECONDS}s linear` : "none";
  }

  function turn() {
    page = (page + 1) % pages;
    paginate(true);
  }

  function restartTimer() {
    clearInterval(timer);
    timer = setInterval(turn, SECONDS * 1000);
  }

  const refresh = Results.throttle(() => load().catch(() => {}), 1000);
  Results.stream(`/api/public/competitions/${id}/events`, {
    published: (event) => { published = true; Results.follow(load, event.version); },
    corrected: (event) => Results.follow(load, event.version),
    marks: () => { if (!published) refresh(); },
  }, (up) => $("#live").classList.toggle("on", up));

  const tick = () => { $("#clock").textContent = clock.format(new Date()); };
  setInterval(tick, 1000);
  tick();
  window.addEventListener("resize", Results.throttle(paginate, 300));
  $("#fullscreen").onclick = () => document.documentElement.requestFullscreen?.();
  load().then(() => { paginate(true); restartTimer(); });
})();
