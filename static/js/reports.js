// The dashboard (organizers), the term report (organizers) and the public statistics page.
// Charts are the server's SVG (<img>), numbers sit beside them in a table, each number opens the list it counts.
"use strict";

const Reports = (() => {
  const { api, esc } = App;
  const HEADLINE = [
    ["competitions", "竞赛场次"], ["registrations", "报名人次"], ["participants", "参赛人次"], ["people", "参赛职工（人）"],
    ["winners", "获奖人次"], ["honours", "表彰人数"], ["unions_took_part", "参与的基层工会"], ["unions", "基层工会总数"],
  ];
  const SHOWN_ROWS = 15;
  const $ = (id) => document.getElementById(id);

  function period() {
    const params = new URLSearchParams(location.search);
    const out = new URLSearchParams();
    for (const name of ["start", "end", "year"]) if (params.get(name)) out.set(name, params.get(name));
    return out;
  }

  function fillPeriodForm() {
    const params = period();
    for (const name of ["start", "end", "year"]) if ($(name) && params.get(name)) $(name).value = params.get(name);
  }

  function cards(headline) {
    $("cards").replaceChildren(...HEADLINE.map(([key, name]) => {
      const card = document.createElement("div");
      card.className = "card";
      card.dataset.figure = key;
      card.innerHTML = `<div class="value">${Number(headline[key]).toLocaleString("zh-CN")}</div><div class="name">${name}</div>`;
      return card;
    }));
  }

  function figureSection(figure, base, query, withLinks) {
    const section = document.createElement("section");
    section.className = "figure";
    section.id = "figure-" + figure.name;
    const head = figure.columns.map((c) => `<th class="num">${esc(c)}</th>`).join("");
    section.innerHTML = `<h2>${esc(figure.title)}</h2>
      <div class="actions no-print">${withLinks ? `<a class="xlsx" href="${base}/figures/${figure.name}/table.xlsx?${query}">下载 Excel</a>` : ""}
        <span class="muted">${figure.rows.length} 项</span></div>
      <div class="figure-body"><img alt="${esc(figure.title)}" loading="lazy" src="${base}/figures/${figure.name}/chart.svg?${query}">
      <div class="table-wrap"><table><thead><tr><th>项目</th>${head}</tr></thead><tbody></tbody></table></div></div>
      ${figure.note ? `<p class="muted">${esc(figure.note)}</p>` : ""}`;
    const body = section.querySelector("tbody");
    const render = (all) => {
      body.replaceChildren(...figure.rows.slice(0, all ? undefined : SHOWN_ROWS).map((row) => {
        const tr = document.createElement("tr");
        const cells = row.values.map((v) => {
          const text = Number(v).toLocaleString("zh-CN");
          return withLinks && figure.list_of
            ? `<td class="num"><a href="#" class="count" data-key="${esc(row.key)}">${text}</a></td>`
            : `<td class="num">${text}</td>`;
        });
        tr.innerHTML = `<td>${esc(row.label)}</td>${cells.join("")}`;
        return tr;
      }));
    };
    render(false);
    if (figure.rows.length > SHOWN_ROWS) {
      const more = document.createElement("button");
      more.type = "button";
      more.className = "ghost no-print";
      more.textContent = `显示全部 ${figure.rows.length} 项`;
      more.addEventListener("click", () => { render(true); more.remove(); });
      section.querySelector(".table-wrap").append(more);
    }
    if (withLinks && figure.list_of) {
      section.addEventListener("click", (event) => {
        const link = event.target.closest("a.count");
        if (!link) return;
        event.preventDefault();
        showList(figure, link.dataset.key, 1);
      });
    }
    return section;
  }

  async function showList(figure, key, page) {
    const panel = $("list-panel");
    const query = period();
    query.set("of", figure.list_of);
    query.set("dimension", figure.dimension);
    query.set("key", key);
    query.set("page_no", page);
    panel.hidden = false;
    panel.innerHTML = "<p>正在读取…</p>";
    try {
      const list = await api("GET", "/api/reports/list?" + query);
      const pages = Math.max(1, Math.ceil(list.total / list.page_size));
      panel.innerHTML = `<h3>${esc(figure.title)} · ${esc(list.title)}（共 <span id="list-total">${list.total}</span> 条）</h3>
        <div class="table-wrap"><table><thead><tr>${list.columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead>
        <tbody>${list.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`).join("")}</tbody></table></div>
        <p class="row"><button type="button" class="ghost" id="list-prev" ${page <= 1 ? "disabled" : ""}>上一页</button>
        第 ${page} / ${pages} 页 <button type="button" class="ghost" id="list-next" ${page >= pages ? "disabled" : ""}>下一页</button>
        <button type="button" class="ghost" id="list-close">关闭</button></p>`;
      $("list-prev").onclick = () => showList(figure, key, page - 1);
      $("list-next").onclick = () => showList(figure, key, page + 1);
      $("list-close").onclick = () => { panel.hidden = true; };
      panel.scrollIntoView({ behavior: "smooth", block: "start" });
    } catch (error) {
      panel.innerHTML = `<p class="error">${esc(error.message)}</p>`;
    }
  }

  function notice(message) {
    const box = $("page-notice");
    box.textContent = message;
    box.hidden = !message;
  }

  async function dashboard() {
    await App.header();
    fillPeriodForm();
    const query = period();
    try {
      const data = await api("GET", "/api/reports/dashboard?" + query);
      $("period-text").textContent = `统计期：${data.start} 至 ${data.end}`;
      $("term-link").href = "/reports/term?" + query;
      cards(data.headline);
      $("figures").replaceChildren(...data.figures.map((f) => figureSection(f, "/api/reports", query, true)));
      $("notes").textContent = data.notes.join(" ");
      document.body.dataset.ready = "1";
    } catch (error) {
      notice(error.message);
    }
  }

  async function term() {
    await App.header();
    fillPeriodForm();
    const query = period();
    try {
      const data = await api("GET", "/api/reports/term-report?" + query);
      $("period-text").textContent = `统计期：${data.start} 至 ${data.end}`;
      $("report-text").replaceChildren(...data.paragraphs.map((p) => Object.assign(document.createElement("p"), { textContent: p })));
      $("pdf").href = "/api/reports/term-report.pdf?" + query;
      $("charts").replaceChildren(...data.figures.map((name) => Object.assign(document.createElement("img"), {
        src: `/api/reports/figures/${name}/chart.svg?${query}`, alt: name, className: "report-chart",
      })));
      cards(data.headline);
      document.body.dataset.ready = "1";
    } catch (error) {
      notice(error.message);
    }
  }

  async function statistics() {
    await App.header();
    fillPeriodForm();
    const query = period();
    try {
      const data = await api("GET", "/api/public/statistics?" + query, undefined, { allowAnonymous: true });
      $("period-text").textContent = `统计期：${data.start} 至 ${data.end}`;
      cards(data.headline);
      $("figures").replaceChildren(...data.figures.map((f) => figureSection(f, "/api/public/statistics", query, false)));
      document.body.dataset.ready = "1";
    } catch (error) {
      notice(error.message);
    }
  }

  return { dashboard, term, statistics };
})();
