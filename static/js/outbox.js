// Commands not yet acknowledged, kept across reloads and language switches, sent by one timer.
// A resend carries the same command_id, so the server applies it once (P2). Each attempt sends
// every waiting command at most once; after a retryable refusal the next attempt waits longer
// (0.5 s doubling to 30 s, with jitter), so a log outage never becomes a flood.
// A browser may keep a lower cap in localStorage under "dc-retry-cap-ms" (500 to 30000 ms): the
// browser test of a log outage uses 2 s, so that a short outage shows the doubling and the cap.
// Without it, or with anything else there, the cap is 30 s.

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30000;
const RETRY_CAP_KEY = "dc-retry-cap-ms";

function retryCapMs() {
  try {
    const kept = Number(localStorage.getItem(RETRY_CAP_KEY));
    if (kept >= FIRST_RETRY_MS && kept < LAST_RETRY_MS) return kept;
  } catch {
    // No storage: the default cap.
  }
  return LAST_RETRY_MS;
}

// Sent and not yet answered / refused as retryable and waiting for the timer.
const SENT = "sent";
const RETRY = "retry";
const UNSENT = "unsent";

export class Outbox {
  /**
   * @param {string} storageKey where the waiting commands are kept (localStorage)
   * @param {(message: object) => boolean} transmit sends one frame; false if the socket is closed
   * @param {() => void} changed called whenever the waiting set changes
   */
  constructor(storageKey, transmit, changed) {
    this.storageKey = storageKey;
    this.transmit = transmit;
    this.changed = changed;
    this.items = this.load();
    this.retries = 0;
    this.retryCapMs = retryCapMs();
    this.timer = null;
  }

  load() {
    try {
      const kept = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(kept) ? kept.map((item) => ({ ...item, state: UNSENT })) : [];
    } catch {
      return [];
    }
  }

  save() {
    try {
      const kept = this.items.map(({ state, ...item }) => item);
      if (kept.length) localStorage.setItem(this.storageKey, JSON.stringify(kept));
      else localStorage.removeItem(this.storageKey);
    } catch {
      // Private mode or full storage: the outbox still lives for this page.
    }
    this.changed();
  }

  get size() {
    return this.items.length;
  }

  /** Queues a command message ({type, command_id, command, shown?}) and sends it if it can. */
  add(message) {
    const item = { ...message, state: UNSENT };
    this.items.push(item);
    this.sendOne(item);
    this.save();
  }

  sendOne(item) {
    const { state, shown, ...frame } = item;
    item.state = this.transmit(frame) ? SENT : UNSENT;
  }

  /** The socket is open: one attempt for everything not in flight. */
  connected() {
    clearTimeout(this.timer);
    this.timer = null;
    for (const item of this.items) if (item.state !== SENT) this.sendOne(item);
    this.changed();
  }

  /** The socket closed: nothing is in flight any more; the next connect sends it all once. */
  disconnected() {
    clearTimeout(this.timer);
    this.timer = null;
    for (const item of this.items) item.state = UNSENT;
  }

  /** The server answered it for good (ack, or a refusal that a resend cannot change). */
  settled(commandId, { succeeded }) {
    const before = this.items.length;
    this.items = this.items.filter((item) => item.command_id !== commandId);
    if (succeeded) this.retries = 0;
    if (this.items.length !== before) this.save();
  }

  /** Refused for now (the log is unavailable): it goes with the next timed attempt. */
  refusedForNow(commandId) {
    const item = this.items.find((candidate) => candidate.command_id === commandId);
    if (!item) return;
    item.state = RETRY;
    this.schedule();
  }

  schedule() {
    if (this.timer !== null) return;
    const ceiling = Math.min(this.retryCapMs, FIRST_RETRY_MS * 2 ** this.retries);
    const delay = ceiling * (0.5 + Math.random() / 2);
    this.retries += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const item of this.items) if (item.state === RETRY) this.sendOne(item);
    }, delay);
  }

  /** What the page shows in place, marked as waiting: [{into, text}]. */
  shownItems() {
    return this.items.filter((item) => item.shown).map((item) => item.shown);
  }
}

/** One outbox per meeting, role, site, desk and link: not per language, which a switch changes. */
export function outboxKey(wsPath) {
  const url = new URL(wsPath, location.origin);
  url.searchParams.delete("lang");
  url.searchParams.sort();
  return "dc-outbox:" + url.pathname + "?" + url.searchParams.toString();
}
