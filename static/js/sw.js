// The service worker: a display (or a console) reloaded while the server is down still opens,
// from the copy of its page and assets kept here, shows its last view and reconnects by itself.
// Pages: the network first, the kept copy when it fails. Assets: the kept copy, refreshed behind.
// Browsers run service workers only in a secure context (https, or localhost): see docs/deploy.md.

const CACHE = "diemcau-v2"; // a new name when the assets change: the old copies go at activate
const ASSETS = [
  "/static/css/app.css",
  "/static/js/live.js",
  "/static/js/keep.js",
  "/static/js/outbox.js",
  "/static/js/answer.js",
  "/static/js/projector.js",
  "/static/js/choices.js",
  "/static/vendor/idiomorph/idiomorph.esm.js",
  "/static/vendor/be-vietnam-pro/be-vietnam-pro.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function pageFirstFromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

async function assetFromCache(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => kept);
  return kept || fresh;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  const page = event.request.mode === "navigate" && url.pathname.startsWith("/m/");
  if (page || /^\/m\/[^/]+\/s\/[^/]+\/qr\//.test(url.pathname)) {
    event.respondWith(pageFirstFromNetwork(event.request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(assetFromCache(event.request));
  }
});

// A page opened before this worker ran was not kept on its way in: the page asks for it.
self.addEventListener("message", (event) => {
  const urls = (event.data && Array.isArray(event.data.keep) ? event.data.keep : []).filter(
    (url) => typeof url === "string" && new URL(url, location.origin).origin === location.origin,
  );
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(urls)).catch(() => undefined));
});
