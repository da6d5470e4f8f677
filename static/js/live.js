// One WebSocket per page: shows the server's view, sends commands, survives bad Wi-Fi.
// Commands wait in an outbox (kept across reloads) until the server acknowledges them; a resend
// carries the same command_id, so the server applies it once (P2). Views are whole snapshots with
// (epoch, seq, rev): an older one than what is shown is never put on screen (P3).

const body = document.body;
const wsPath = body.dataset.ws;
const live = document.getElementById("live");
const banner = document.getElementById("conn");
const toastBox = document.getElementById("toast");
const lang = document.documentElement.lang || "vi";
const outboxKey = "dc-outbox:" + wsPath;
const PING_EVERY_MS = 15000;
const SILENCE_LIMIT_MS = 40000;

let shown = parseVersion(body.dataset.version || "");
let socket = null;
let attempt = 0;
let wasOffline = false;
let lastHeard = Date.now();
let outbox = loadOutbox();
let clockOffset = 0; // server clock minus this clock, in seconds (from pong)
let pingSentAt = 0;

function parseVersion(text) {
  const [epoch, seq, rev] = text.split(":");
  return { epoch: epoch || "", seq: Number(seq) || 0, rev: Number(rev) || 0 };
}

function versionText(v) {
  return `${v.epoch}:${v.seq}:${v.rev}`;
}

function loadOutbox() {
  try {
    return JSON.parse(localStorage.getItem(outboxKey) || "[]");
  } catch {
    return [];
  }
}

function saveOutbox() {
  try {
    localStorage.setItem(outboxKey, JSON.stringify(outbox));
  } catch {
    // Private mode or full storage: the outbox still lives for this page.
  }
  showStatus();
}

function newCommandId() {
  // crypto.randomUUID needs a secure context; a hall's LAN is plain http.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function showStatus() {
  const online = socket && socket.readyState === WebSocket.OPEN;
  banner.classList.remove("back", "pending");
  if (!online) {
    banner.textContent = banner.dataset.offline;
    banner.hidden = false;
    body.dataset.online = "false";
    return;
  }
  body.dataset.online = "true";
  if (outbox.length) {
    banner.textContent = `${banner.dataset.pending} ${outbox.length}`;
    banner.classList.add("pending");
    banner.hidden = false;
  } else if (wasOffline) {
    banner.textContent = banner.dataset.back;
    banner.classList.add("back");
    banner.hidden = false;
    wasOffline = false;
    setTimeout(() => {
      if (banner.classList.contains("back")) banner.hidden = true;
    }, 3000);
  } else if (!banner.classList.contains("back")) {
    banner.hidden = true;
  }
}

function toast(text, isError) {
  toastBox.textContent = text;
  toastBox.classList.toggle("error", Boolean(isError));
  toastBox.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (toastBox.hidden = true), isError ? 6000 : 2500);
}

// Swapping the view must not throw away what somebody is typing or which panel is open.
function swap(html) {
  const active = document.activeElement;
  const activeId = active && live.contains(active) ? active.id : null;
  const selection = activeId && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  const kept = new Map();
  for (const field of live.querySelectorAll("input[id], textarea[id]")) {
    if (field.value !== field.defaultValue || field.id === activeId) kept.set(field.id, field.value);
  }
  const open = new Set(Array.from(live.querySelectorAll("details[open][id]"), (d) => d.id));
  live.innerHTML = html;
  for (const [id, value] of kept) {
    const field = document.getElementById(id);
    if (field) field.value = value;
  }
  for (const id of open) {
    const details = document.getElementById(id);
    if (details) details.open = true;
  }
  if (activeId) {
    const field = document.getElementById(activeId);
    if (field) {
      field.focus();
      if (selection && field.setSelectionRange) {
        try {
          field.setSelectionRange(selection[0], selection[1]);
        } catch {
          // number inputs have no selection
        }
      }
    }
  }
  refreshTimes();
  tickCountdowns();
  applyFilters();
  markRemembered();
  markVotes();
  fitProjector();
}

// A projector shows everything at once: long text shrinks until the page fits the screen,
// never cut off and never needing a scroll nobody in the hall can do.
function fitProjector() {
  if (!body.classList.contains("projector")) return;
  const root = document.documentElement;
  let zoom = 1;
  live.style.zoom = "1";
  while (root.scrollHeight > window.innerHeight && zoom > 0.35) {
    zoom -= 0.05;
    live.style.zoom = String(zoom);
  }
}
window.addEventListener("resize", fitProjector);

// A phone remembers what it supported, so the button says so (the server refuses a second one).
function markRemembered() {
  const kept = JSON.parse(localStorage.getItem("dc-remember:" + wsPath) || "{}");
  for (const button of live.querySelectorAll("button[data-remember]")) {
    if (kept[button.dataset.args]) button.setAttribute("aria-pressed", "true");
  }
}

function remember(button) {
  try {
    const key = "dc-remember:" + wsPath;
    const kept = JSON.parse(localStorage.getItem(key) || "{}");
    kept[button.dataset.args] = true;
    localStorage.setItem(key, JSON.stringify(kept));
  } catch {
    // no storage: the server still counts one support per phone
  }
}

function refreshTimes() {
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  for (const el of live.querySelectorAll("time[data-ago]")) {
    const seconds = Math.round(Number(el.dataset.ago) - Date.now() / 1000);
    el.textContent =
      Math.abs(seconds) < 60 ? format.format(seconds, "second") : format.format(Math.round(seconds / 60), "minute");
  }
}

function formatSeconds(total) {
  const whole = Math.max(0, Math.round(total));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// Countdowns run here from the server's timestamps (corrected by the measured clock offset).
function tickCountdowns() {
  const now = Date.now() / 1000 + clockOffset;
  for (const el of live.querySelectorAll("[data-countdown]")) {
    const paused = el.dataset.pausedRemaining;
    const deadline = el.dataset.deadline;
    let remaining;
    if (paused !== "") {
      remaining = Number(paused);
      el.classList.add("paused");
    } else if (deadline !== "") {
      remaining = Number(deadline) - now;
      el.classList.remove("paused");
    } else {
      continue;
    }
    const over = remaining < 0;
    el.classList.toggle("overtime", over);
    el.classList.toggle("ending", !over && remaining <= 30);
    el.textContent = (over ? "+" : "") + formatSeconds(Math.abs(remaining)) + (paused !== "" ? ` (${el.dataset.pausedLabel})` : "");
  }
}

function ping() {
  pingSentAt = Date.now();
  send({ type: "ping" });
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function submitCommand(command) {
  const message = { type: "command", command_id: newCommandId(), command };
  outbox.push(message);
  saveOutbox();
  send(message);
  return message.command_id;
}

// "Your vote is counted" only once the server says the vote is in the log (its ack).
const votesSent = new Map(); // command id -> "ballot:choice"
const votedKey = "dc-voted:" + wsPath;

function markVotes() {
  const ballot = live.querySelector("[data-ballot-id]");
  if (!ballot) return;
  let voted = {};
  try {
    voted = JSON.parse(localStorage.getItem(votedKey) || "{}");
  } catch {
    voted = {};
  }
  const mine = voted[ballot.dataset.ballotId];
  for (const button of ballot.querySelectorAll("button[data-vote]")) {
    button.setAttribute("aria-pressed", String(button.dataset.vote === `${ballot.dataset.ballotId}:${mine}`));
  }
  const counted = document.getElementById("vote-counted");
  if (counted) counted.hidden = !mine;
}

function voteAcknowledged(commandId) {
  const vote = votesSent.get(commandId);
  if (!vote) return;
  votesSent.delete(commandId);
  const [ballot, choice] = vote.split(":");
  try {
    const voted = JSON.parse(localStorage.getItem(votedKey) || "{}");
    voted[ballot] = choice;
    localStorage.setItem(votedKey, JSON.stringify(voted));
  } catch {
    // without storage the mark lasts until the next view
  }
  markVotes();
}

function onMessage(event) {
  lastHeard = Date.now();
  const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
  const msg = JSON.parse(text);
  if (msg.type === "view") {
    const older =
      msg.epoch === shown.epoch && (msg.seq < shown.seq || (msg.seq === shown.seq && msg.rev < shown.rev));
    if (!older) {
      swap(msg.html);
      shown = { epoch: msg.epoch, seq: msg.seq, rev: msg.rev };
      body.dataset.seq = String(msg.seq);
    }
  } else if (msg.type === "ack" || msg.type === "error") {
    const retry = msg.type === "error" && msg.retryable;
    if (!retry) {
      outbox = outbox.filter((m) => m.command_id !== msg.command_id);
      saveOutbox();
    }
    if (msg.type === "ack") voteAcknowledged(msg.command_id);
    if (msg.type === "error" && msg.code === "answer_changed") {
      // Somebody else typed too: diff again from what the server has; what we typed is kept.
      answerBase.clear();
      answerTimer ??= setTimeout(flushAnswers, ANSWER_EVERY_MS);
    }
    if (msg.type === "error") {
      toast(msg.message, true);
      if (retry) setTimeout(() => outbox.forEach(send), 3000);
    }
  } else if (msg.type === "pong" && pingSentAt) {
    const roundTrip = Date.now() - pingSentAt;
    clockOffset = msg.now - (pingSentAt + roundTrip / 2) / 1000;
    pingSentAt = 0;
    tickCountdowns();
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + wsPath);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    attempt = 0;
    lastHeard = Date.now();
    send({ type: "hello", version: versionText(shown) });
    ping();
    outbox.forEach(send);
    showStatus();
  };
  socket.onmessage = onMessage;
  socket.onclose = () => {
    wasOffline = true;
    showStatus();
    // Exponential backoff with jitter, so 600 sites do not all knock at the same instant.
    const delay = Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    setTimeout(connect, delay);
  };
}

// "question.text" fills command.question.text: forms can build nested commands.
function setPath(target, path, value) {
  const parts = path.split(".");
  const last = parts.pop();
  let node = target;
  for (const part of parts) node = node[part] ??= {};
  node[last] = value;
}

function fieldValue(field) {
  if (field.dataset.type === "int") {
    return field.value.trim() === "" ? null : Number(field.value);
  }
  if (field.dataset.type === "optional") return field.value === "" ? null : field.value;
  if (field.type === "checkbox") return field.checked;
  return field.value;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-command]");
  if (!button || !live.contains(button)) return;
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const command = { type: button.dataset.command, ...JSON.parse(button.dataset.args || "{}") };
  if ("withOrder" in button.dataset) command.expected_order = currentOrder(button);
  if (button.dataset.remember) {
    remember(button);
    button.setAttribute("aria-pressed", "true");
  }
  const commandId = submitCommand(command);
  if (button.dataset.vote) votesSent.set(commandId, button.dataset.vote);
});

// A reorder names the order it was made against, so a stale page cannot corrupt the queue.
function currentOrder(element) {
  const list = element.closest("[data-order]");
  return list ? JSON.parse(list.dataset.order) : [];
}

let dragged = null;
document.addEventListener("dragstart", (event) => {
  const item = event.target.closest && event.target.closest("[data-order] li[data-request-id]");
  if (!item) return;
  dragged = item;
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", item.dataset.requestId);
});
document.addEventListener("dragover", (event) => {
  if (dragged && event.target.closest && event.target.closest("[data-order]")) event.preventDefault();
});
document.addEventListener("drop", (event) => {
  const target = event.target.closest && event.target.closest("[data-order] li[data-request-id]");
  if (!dragged || !target) return;
  event.preventDefault();
  const order = currentOrder(target);
  const position = order.indexOf(target.dataset.requestId);
  if (position >= 0 && target !== dragged) {
    submitCommand({ type: "move_in_queue", request_id: dragged.dataset.requestId, position, expected_order: order });
  }
  dragged = null;
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-command]");
  if (!form || !live.contains(form)) return;
  event.preventDefault();
  const command = { type: form.dataset.command, ...JSON.parse(form.dataset.args || "{}") };
  for (const field of form.elements) {
    if (!field.name || (field.type === "radio" && !field.checked)) continue;
    setPath(command, field.name, fieldValue(field));
  }
  if (form.dataset.newId) command[form.dataset.newId] = newCommandId();
  submitCommand(command);
  if (form.dataset.command.startsWith("add_") || "reset" in form.dataset) {
    form.reset();
    for (const field of form.elements) if (field.defaultValue !== undefined) field.defaultValue = field.value;
  }
});

// The live answer: what the secretary types is sent as small edits (keep a prefix, add a tail),
// at most a couple of times a second; each edit is a command in the log, so nothing typed is lost.
const ANSWER_EVERY_MS = 600;
const answerBase = new Map(); // question id -> the text the server has (as far as we know)
let answerTimer = null;

function commonPrefix(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return i;
}

function flushAnswers() {
  answerTimer = null;
  for (const area of live.querySelectorAll("textarea[data-live-answer]")) {
    const id = area.dataset.liveAnswer;
    const base = answerBase.has(id) ? answerBase.get(id) : area.defaultValue;
    if (area.value === base) continue;
    const keep = commonPrefix(base, area.value);
    submitCommand({ type: "edit_answer", question_id: id, base_length: base.length, keep, tail: area.value.slice(keep) });
    answerBase.set(id, area.value);
  }
}

document.addEventListener("input", (event) => {
  if (event.target.matches && event.target.matches("textarea[data-live-answer]")) {
    answerTimer ??= setTimeout(flushAnswers, ANSWER_EVERY_MS);
  }
  if (event.target.closest && event.target.closest("[data-filters]")) applyFilters();
});
document.addEventListener("change", (event) => {
  if (event.target.closest && event.target.closest("[data-filters]")) applyFilters();
});

// Filters and search run in the page: the list is already here, and each person filters their own.
function foldText(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}

function hasMarks(text) {
  return text.normalize("NFD") !== text.normalize("NFD").replace(/\p{M}/gu, "") || /[đĐ]/.test(text);
}

function applyFilters() {
  for (const bar of document.querySelectorAll("[data-filters]")) {
    const list = document.querySelector(bar.dataset.filters);
    if (!list) continue;
    const values = {};
    for (const input of bar.querySelectorAll("[data-filter]")) values[input.dataset.filter] = input.value.trim();
    const query = values.search || "";
    const words = (hasMarks(query) ? query.normalize("NFC").toLowerCase() : foldText(query)).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of list.querySelectorAll("li[data-search]")) {
      const haystack = hasMarks(query) ? item.textContent.normalize("NFC").toLowerCase() : item.dataset.search;
      const ok =
        words.every((w) => haystack.includes(w)) &&
        ["field", "body", "level", "site", "status"].every((k) => !values[k] || item.dataset[k] === values[k]);
      item.hidden = !ok;
      shown += ok ? 1 : 0;
    }
    const bySupport = bar.querySelector("[data-sort]");
    const items = Array.from(list.querySelectorAll("li[data-search]"));
    items.sort((a, b) =>
      bySupport && bySupport.checked
        ? Number(b.dataset.support) - Number(a.dataset.support) || Number(a.dataset.index) - Number(b.dataset.index)
        : Number(a.dataset.index) - Number(b.dataset.index),
    );
    for (const item of items) list.appendChild(item);
    const counter = document.getElementById("question-count");
    if (counter) counter.textContent = String(shown);
  }
}

setInterval(() => {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  if (Date.now() - lastHeard > SILENCE_LIMIT_MS) {
    socket.close(); // a dead Wi-Fi link can look open for minutes
    return;
  }
  ping();
}, PING_EVERY_MS);
setInterval(refreshTimes, 5000);
setInterval(tickCountdowns, 250);

refreshTimes();
fitProjector();
connect();
showStatus();
