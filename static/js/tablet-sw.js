// The tablets' service worker: the judge page (/judge) and the expert review page (/review) open and work
// with no network. Served at /tablet-sw.js (above /static, so that it may control those paths) and registered
// by static/js/tablet.js with scope /judge or /review; one script, two registrations.
//
// - The shell (the two pages, their CSS, scripts, manifest and icons) is cached at install and refreshed
//   network-first, so a deployed change arrives on the next load and an offline reload still opens the page.
// - The data those pages read (who is logged in, the rubric, the contestants or nominations, a sheet) is
//   network-first with the last answer as the fallback. It belongs to one user: the cache is emptied when
//   /api/auth/me names someone else (or nobody), and the page empties it on 退出.
// - Writes (PUT, POST) are never touched: they go straight to the network, and the outbox (outbox.js) keeps
//   and retries them with their client UUIDs, so each mark still arrives exactly once.
"use strict";

const SHELL_CACHE = "yc-tablet-shell-v1"; // bump to drop the old shell at once (it is refreshed anyway)
const DATA_CACHE = "yc-tablet-data"; // tablet.js empties it on 退出
const OWNER = "/__yc-tablet-owner"; // the user whose data DATA_CACHE holds
const NETWORK_TIMEOUT_MS = 5000; // a workshop network that answers later than this counts as down

const PAGES = ["/judge", "/review"]; // navigations served from the shell (the query string is the page's)
const SHELL = [
  ...PAGES,
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/outbox.js",
  "/static/js/rubric.js",
  "/static/js/tablet.js",
  "/static/js/judge.js",
  "/static/js/review.js",
  "/static/judge.webmanifest",
  "/static/review.webmanifest",
  "/static/icons/tablet.svg",
  "/static/icons/tablet-192.png",
  "/static/icons/tablet-512.png",
];
const DATA = [/^\/api\/auth\/me$/, /^\/api\/judge\//, /^\/api\/review\//];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const old = (name) => name.startsWith("yc-tablet-shell-") && name !== SHELL_CACHE;
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter(old).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()), // the page that registered us works offline from now on
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return; // writes: the network's, and the outbox's
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (PAGES.includes(url.pathname)) event.respondWith(shellFile(event, url.pathname));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(shellFile(event, url.pathname));
  } else if (DATA.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(data(event, url.pathname === "/api/auth/me"));
  }
});

// Network first; the cached copy when the network fails or is slower than NETWORK_TIMEOUT_MS (a late answer
// still refreshes the cache). `keep` stores a good answer; `tell` says which way it went.
async function networkFirst(event, lookup, keep, tell = () => {}) {
  const network = fetch(event.request).then(async (response) => {
    await keep(response);
    tell(true);
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  try {
    return await Promise.race([network, timeout(NETWORK_TIMEOUT_MS)]);
  } catch {
    const cached = await lookup();
    if (cached) {
      tell(false);
      return cached;
    }
    return network.catch(() => Response.error()); // nothing cached: the page sees a network error
  }
}

function timeout(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

function shellFile(event, path) {
  return networkFirst(
    event,
    () => caches.open(SHELL_CACHE).then((cache) => cache.match(path)),
    async (response) => {
      if (response.ok && !response.redirected) {
        await (await caches.open(SHELL_CACHE)).put(path, response.clone());
      }
    },
  );
}

function data(event, isMe) {
  const { request } = event;
  return networkFirst(
    event,
    async () => (await caches.open(DATA_CACHE)).match(request),
    async (response) => {
      if (isMe) await noteOwner(response.clone());
      if (response.ok) await (await caches.open(DATA_CACHE)).put(request, response.clone());
    },
    (online) => tellPage(event.clientId, online),
  );
}

// The cached data belongs to the user /api/auth/me last named: someone else (or nobody) empties it.
async function noteOwner(response) {
  if (!response.ok && response.status !== 401) return; // a server error says nothing about who is here
  // A visitor is 200 null (or, from an older server, a 401): nobody.
  const body = response.ok ? await response.json().catch(() => null) : null;
  const user = body && body.id != null ? String(body.id) : "";
  const cache = await caches.open(DATA_CACHE);
  const known = await cache.match(OWNER);
  if (known && (await known.text()) === user) return;
  await caches.delete(DATA_CACHE);
  if (user) await (await caches.open(DATA_CACHE)).put(OWNER, new Response(user));
}

// The page's 在线 / 离线 badge follows what really happened to its reads.
async function tellPage(clientId, online) {
  const client = clientId && (await self.clients.get(clientId));
  if (client) client.postMessage({ type: "yc-network", online });
}
