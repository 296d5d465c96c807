// 我的证书: the logged-in contestant's honours (评选表彰) and competition prizes, each with its PDF.
"use strict";

const MyCertificates = (() => {
  const $ = (selector) => document.querySelector(selector);

  function item(kind, title, what, facts, url) {
    return `<li class="card certificate">
      <div class="row"><span class="badge ok">${kind}</span><strong class="spacer">${App.esc(title)}</strong></div>
      <p>${App.esc(what)}<span class="muted small">${App.esc(facts)}</span></p>
      <a class="button secondary" href="${App.esc(url)}" target="_blank" rel="noopener">下载证书（PDF）</a></li>`;
  }

  async function show() {
    const user = await App.me({ quiet: true });
    if (!user || user.role !== "contestant") return;
    const mine = await App.api("GET", "/api/my/certificates");
    const rows = [
      ...mine.honours.map((h) => item("荣誉", h.programme_name, `荣获“${h.award}”称号`,
        ` · 证书编号 ${h.certificate_no}${h.awarded_on ? ` · ${h.awarded_on}` : ""}`, h.download_url)),
      ...mine.prizes.map((p) => item("获奖", p.competition_title, `荣获${p.prize}`,
        `${p.rank ? ` · 第 ${p.rank} 名` : ""} · 成绩 ${p.final_score}`, p.download_url)),
    ];
    $("#certificate-list").innerHTML = rows.join("");
    $("#no-certificates").hidden = rows.length > 0;
    $("#certificates").hidden = false;
  }

  return { show };
})();
