// The tablets' outbox (裁判评分 judge.js, 专家评审 review.js): score sheets written where the network is poor.
// Every write is queued in localStorage with a client UUID made once, when it is queued, and reused on every
// retry: the server answers a replay with its first answer, so a mark is never written twice however often
// the tablet retries. The outbox also keeps the last version seen of each sheet (the write's base_version)
// and the server's last answer to this tablet's writes (so a page reloaded offline, reading older copies
// from the service worker's cache, still shows what the server has), drives the page's sync bar (#net,
// #pending-count, #sync, #sync-now) and retries while anything waits.
//
//   const box = Outbox.create({
//     name: "judge",                        // localStorage keys yc-<name>-{outbox,versions,answers}:<user>
//     url: "/api/judge/sheets",             // where a write is PUT
//     fields: ["competition_id", ...],      // what names the sheet in the request, kept on each entry
//     debounceMs: 250,                      // wait for further edits before sending (0: send at once)
//     counted: (entries) => entries.length, // what #pending-count shows
//     accepted(entry, sheet), stale(entry, detail), refused(entry, message, aspectId), expired(), settled(),
//   });
"use strict";

const Outbox = (() => {
  const RETRY_MS = 4000;
  const $ = (selector) => document.querySelector(selector);

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // plain-HTTP tablets have no randomUUID
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function readStore(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
  }

  async function csrf() {
    if (!App.cookie("csrftoken")) await fetch("/login", { credentials: "same-origin" });
    return App.cookie("csrftoken");
  }

  function setOnline(value) {
    const badge = $("#net");
    badge.textContent = value ? "在线" : "离线";
    badge.className = `badge ${value ? "ok" : "bad"}`;
  }

  function create(options) {
    const { name, url, fields, debounceMs = 0, counted = (entries) => entries.length } = options;
    let entries = [];
    let versions = {};
    let answers = {}; // key -> the server's last answer to a write from this tablet, until a read catches up
    let storeKey = null;
    let versionKey = null;
    let answerKey = null;
    let flushing = false;
    let timer = null;

    const pending = (key) => entries.filter((entry) => entry.key === key);

    function persist() {
      if (storeKey) {
        localStorage.setItem(storeKey, JSON.stringify(entries));
        localStorage.setItem(versionKey, JSON.stringify(versions));
        localStorage.setItem(answerKey, JSON.stringify(answers));
      }
      renderCounter();
    }

    function renderCounter() {
      const n = counted(entries);
      $("#pending-count").textContent = String(n);
      $("#sync").classList.toggle("waiting", n > 0);
      $("#sync-now").hidden = n === 0;
    }

    // What this user left queued on this tablet (a reload, a crash, a flat battery lose nothing).
    function open(userId) {
      storeKey = `yc-${name}-outbox:${userId}`;
      versionKey = `yc-${name}-versions:${userId}`;
      answerKey = `yc-${name}-answers:${userId}`;
      entries = readStore(storeKey, []);
      versions = readStore(versionKey, {});
      answers = readStore(answerKey, {});
      setOnline(navigator.onLine);
      renderCounter();
    }

    // Queue marks of one sheet. An entry never sent yet takes further edits of the same sheet; once it has
    // been sent (even if no answer came back) it is frozen with its UUID and new edits go in a new entry.
    function queue(key, target, marks, submit) {
      const last = pending(key).at(-1);
      if (last && last.attempts === 0) {
        Object.assign(last.marks, marks);
        last.submit = last.submit || submit;
      } else {
        entries.push({ id: uuid(), key, ...target, marks: { ...marks }, submit, attempts: 0 });
      }
      persist();
      if (debounceMs) {
        clearTimeout(timer);
        timer = setTimeout(flush, debounceMs);
      } else {
        flush();
      }
    }

    // The server's versions of sheets just read (as read, before newer() is laid over them); a sheet with
    // writes still queued keeps the version they
    // were made on (and, with keepKnown, a sheet already known keeps its version). A version never goes
    // back: a lower one is an old copy (the service worker's cache, read offline), not the server's state.
    function seen(pairs, { keepKnown = false } = {}) {
      for (const [key, version] of pairs) {
        if (answers[key] && answers[key].version <= version) delete answers[key]; // the read caught up
        if (pending(key).length || (keepKnown && versions[key] !== undefined)) continue;
        versions[key] = Math.max(versions[key] ?? 0, version);
      }
      persist();
    }

    // The newer of a sheet just read and the server's last answer to this tablet (by version).
    function newer(key, sheet) {
      const answer = answers[key];
      return answer && (!sheet || answer.version > sheet.version) ? answer : sheet;
    }

    async function send(entry) {
      const body = {
        ...Object.fromEntries(fields.map((field) => [field, entry[field]])),
        client_id: entry.id,
        base_version: versions[entry.key] ?? 0,
        marks: Object.entries(entry.marks).map(([aspect_id, value]) => ({ aspect_id, value: String(value) })),
        submit: entry.submit,
      };
      const response = await fetch(url, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "x-csrftoken": await csrf() },
        body: JSON.stringify(body),
      });
      return { response, data: await response.json().catch(() => ({})) };
    }

    // What the server said to the first entry: true to go on with the next one, false to wait for a retry.
    function answer(entry, response, data) {
      if (response.ok) {
        entries.shift();
        versions[entry.key] = Math.max(versions[entry.key] ?? 0, data.version);
        if (data.version >= (answers[entry.key] ? answers[entry.key].version : 0)) answers[entry.key] = data;
        persist();
        options.accepted(entry, data);
        return true;
      }
      if (response.status === 409 && data.code === "stale_version") {
        // Another device wrote this sheet: the page shows the server's marks and the user redoes the rest.
        entries = entries.filter((item) => item.key !== entry.key);
        versions[entry.key] = data.detail.current_version;
        delete answers[entry.key];
        persist();
        options.stale(entry, data.detail);
        return true;
      }
      if (response.status === 401) {
        options.expired(); // the marks stay on the tablet and go once the user is logged in again
        return false;
      }
      if (response.status >= 500 || response.status === 429 || data.code === "csrf_failed") {
        return false; // the server will be back: keep the entry and its UUID
      }
      // Refused for good (a bad mark, a locked sheet, recusal, review closed): drop it, the page says why.
      entries.shift();
      persist();
      options.refused(entry, data.message || `提交失败（${response.status}）`, data.detail && data.detail.aspect_id);
      return true;
    }

    async function flush() {
      if (flushing || !entries.length) return;
      flushing = true;
      try {
        while (entries.length) {
          const entry = entries[0];
          entry.attempts += 1;
          persist();
          let sent;
          try {
            sent = await send(entry);
          } catch {
            setOnline(false); // no answer: keep it (same UUID) and try again later
            break;
          }
          setOnline(true);
          if (!answer(entry, sent.response, sent.data)) break;
        }
      } finally {
        flushing = false;
        renderCounter();
        options.settled();
      }
    }

    window.addEventListener("online", () => { setOnline(true); flush(); });
    window.addEventListener("offline", () => setOnline(false));
    setInterval(() => { if (entries.length) flush(); }, RETRY_MS);
    $("#sync-now").addEventListener("click", () => flush());

    return {
      open,
      queue,
      seen,
      newer,
      flush,
      setOnline,
      pending,
      waiting: () => entries.length,
      version: (key) => versions[key],
    };
  }

  return { create };
})();
