// 裁判登录二维码 (organizers): one judge's new one-time link shown large on a phone at the venue, or every
// judge's link on a printable sheet. A new link revokes that judge's unused ones (scoring's link API); a
// tablet already logged in keeps its session. The chief judge has no right to issue links (the API is the
// organizer's), so the chief judge's page sends them here.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const competitionId = Number(new URLSearchParams(location.search).get("competition"));
  const base = `/api/competitions/${competitionId}/judges`;
  let title = "";

  function showMessage(kind, text) {
    const box = $("#message");
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  const judgeLabel = (judge) => `${judge.judge_no} 号裁判 ${judge.display_name}${judge.is_chief ? "（裁判长）" : ""}`;

  async function loadJudges() {
    const panel = await App.api("GET", base);
    const judges = [...panel.judges].sort((a, b) => a.judge_no - b.judge_no);
    $("#no-judges").hidden = judges.length > 0;
    $("#judges").innerHTML = judges.map((judge) => `
      <button type="button" class="secondary" data-judge="${judge.user_id}">
        <span>${App.esc(judgeLabel(judge))}</span>
        <span class="muted">${judge.active_links ? `有效二维码 ${judge.active_links} 个` : "无有效二维码"} · 生成新的 ›</span>
      </button>`).join("");
  }

  function showIssued(link) {
    $("#issued-title").textContent = title;
    $("#issued-judge").textContent = judgeLabel(link);
    $("#issued-qr").innerHTML = link.qr_svg; // segno's SVG, made by the server: sized, without a viewBox
    const svg = $("#issued-qr svg");
    if (svg && !svg.getAttribute("viewBox")) {
      svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`); // so CSS scales it
    }
    $("#issued-expiry").textContent = `仅限使用一次，有效期至 ${App.when(link.expires_at)}`;
    $("#issued-url").textContent = link.url;
    $("#issued").hidden = false;
    $("#issued").scrollIntoView({ block: "start" });
  }

  $("#judges").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-judge]");
    if (!button) return;
    button.disabled = true;
    try {
      showIssued(await App.api("POST", `${base}/${button.dataset.judge}/link`));
      showMessage("", "");
      await loadJudges();
    } catch (error) {
      showMessage("bad", error.message);
    } finally {
      button.disabled = false;
    }
  });
  $("#issued-done").addEventListener("click", () => {
    $("#issued").hidden = true;
    $("#issued-qr").replaceChildren(); // a used-up screen shows no live code
  });

  $("#generate").addEventListener("click", async () => {
    if (document.querySelector(".link-card") && !(await App.confirm({
      title: "重新生成全部登录二维码？", confirmText: "重新生成",
      details: ["刚才生成、尚未使用的二维码全部作废，已打印的须重新打印。", "已经用二维码登录的平板不受影响。"],
    }))) return;
    try {
      const links = await App.api("POST", `${base}/links`);
      $("#links").innerHTML = links.map((link) => `
        <div class="link-card">
          <div class="link-qr">${link.qr_svg}</div>
          <div>
            <div class="link-title">${App.esc(title)}</div>
            <div class="link-judge">${App.esc(judgeLabel(link))}</div>
            <div class="muted">扫码即登录评分平板，仅限一次，有效期至 ${App.when(link.expires_at)}</div>
            <div class="link-url">${App.esc(link.url)}</div>
          </div>
        </div>`).join("");
      $("#print").disabled = false;
      showMessage("", "");
      await loadJudges();
    } catch (error) {
      showMessage("bad", error.message);
    }
  });
  $("#print").addEventListener("click", () => window.print());

  (async () => {
    const me = await App.header();
    if (!me || me.role !== "organizer") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    $("#back").href = `/organizer/scoring?competition=${competitionId}`;
    try {
      const admin = await App.api("GET", `/api/organizer/competitions/${competitionId}`);
      title = admin.competition.title;
      $("#title").textContent = `${title} · 裁判登录二维码`;
      await loadJudges();
    } catch (error) {
      showMessage("bad", error.message);
    }
  })();
})();
