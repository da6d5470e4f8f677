// One WebSocket per page: shows the server's view, sends commands, survives bad Wi-Fi.
// Commands wait in an outbox (kept across reloads) until the server acknowledges them; a resend
// carries the same command_id, so the server applies it once (P2). Views are whole snapshots with
// (epoch, seq, rev): an older one than what is shown is never put on screen (P3). A view is
// morphed into the page so that nothing a person is entering changes (keep.js).

import { Outbox, outboxKey } from "/static/js/outbox.js";
import { firstField, keepOpenState, morph, release, touch } from "/static/js/keep.js";
import { editRefused, editSettled, startLiveAnswer } from "/static/js/answer.js";
import { fitProjector } from "/static/js/projector.js";
import "/static/js/choices.js"; // a select filled from a list the page holds once

const body = document.body;
const wsPath = body.dataset.ws;
const live = document.getElementById("live");
const banner = document.getElementById("conn");
const toastBox = document.getElementById("toast");
const lang = document.documentElement.lang || "vi";
const PING_EVERY_MS = 15000;
const SILENCE_LIMIT_MS = 40000;

let shown = parseVersion(body.dataset.version || "");
let socket = null;
let attempt = 0;
let wasOffline = false;
let lastHeard = Date.now();
let clockOffset = 0; // server clock minus this clock, in seconds (from pong)
let pingSentAt = 0;
const outbox = new Outbox(outboxKey(wsPath), send, showStatus);
const formOf = new Map(); // command id -> the form it was sent from (kept until the server has it)
const releaseAt = new Map(); // form -> the seq whose view shows what it sent

function parseVersion(text) {
  const [epoch, seq, rev] = text.split(":");
  return { epoch: epoch || "", seq: Number(seq) || 0, rev: Number(rev) || 0 };
}

function versionText(v) {
  return `${v.epoch}:${v.seq}:${v.rev}`;
}

function newCommandId() {
  // crypto.randomUUID needs a secure context; a hall's LAN is plain http.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function waitingText(count) {
  return (count === 1 ? banner.dataset.pendingOne : banner.dataset.pendingMany).replace("{n}", String(count));
}

function showStatus() {
  const online = socket && socket.readyState === WebSocket.OPEN;
  const waiting = outbox.size;
  body.dataset.online = String(Boolean(online));
  body.dataset.waiting = String(waiting);
  banner.classList.remove("back", "pending");
  if (!online) {
    banner.textContent = banner.dataset.offline + (waiting ? " · " + waitingText(waiting) : "");
    banner.hidden = false;
  } else if (waiting) {
    banner.textContent = waitingText(waiting);
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
  drawWaiting();
}

// What waits in the outbox shows where it will land, greyed, so nobody enters it twice.
function drawWaiting() {
  for (const old of live.querySelectorAll(".waiting-item")) old.remove();
  for (const { into, text } of outbox.shownItems()) {
    const list = live.querySelector(into);
    if (!list) continue;
    const item = document.createElement("li");
    item.className = "waiting-item";
    const what = document.createElement("span");
    what.textContent = text;
    const tag = document.createElement("span");
    tag.className = "tag waiting-tag";
    tag.textContent = banner.dataset.waitingTag;
    item.append(what, " ", tag);
    list.append(item);
  }
}

function toast(text, isError) {
  toastBox.textContent = text;
  toastBox.classList.toggle("error", Boolean(isError));
  toastBox.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (toastBox.hidden = true), isError ? 6000 : 2500);
}

function afterMorph() {
  refreshTimes();
  tickCountdowns();
  applyFilters();
  markRemembered();
  markVotes();
  drawWaiting();
  fitProjector(live);
  goToAnswerBox();
}

// The last view is kept, so a page reloaded while the server is down (served by the service
// worker from its copy) shows what it showed, not what it showed when the copy was made.
const viewKey = outboxKey(wsPath).replace("dc-outbox:", "dc-view:");
let keepTimer = null;

function keepView(msg) {
  clearTimeout(keepTimer);
  keepTimer = setTimeout(() => {
    try {
      localStorage.setItem(viewKey, JSON.stringify({ epoch: msg.epoch, seq: msg.seq, rev: msg.rev, html: msg.html }));
    } catch {
      // full storage: a reload offline shows the page's own copy
    }
  }, 1000);
}

function restoreKeptView() {
  let kept = null;
  try {
    kept = JSON.parse(localStorage.getItem(viewKey) || "null");
  } catch {
    kept = null;
  }
  if (!kept || kept.epoch !== shown.epoch) return;
  if (kept.seq > shown.seq || (kept.seq === shown.seq && kept.rev > shown.rev)) {
    shown = { epoch: kept.epoch, seq: kept.seq, rev: kept.rev };
    body.dataset.seq = String(kept.seq);
    morph(live, kept.html, afterMorph);
  }
}

function showView(msg) {
  keepView(msg);
  for (const [form, seq] of releaseAt) {
    if (msg.seq >= seq) {
      release(form);
      releaseAt.delete(form);
    }
  }
  morph(live, msg.html, afterMorph);
}

window.addEventListener("resize", () => fitProjector(live));
setInterval(() => fitProjector(live), 1000);

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

/** One frame to the server; false when there is no open socket to take it. */
function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(message));
  return true;
}

function submitCommand(command, shownAs) {
  const message = { type: "command", command_id: newCommandId(), command };
  if (shownAs) message.shown = shownAs;
  outbox.add(message);
  return message.command_id;
}

// A page module that makes commands of its own (the door's QR scanner) hands them here, so they
// go through the same outbox: sent once, kept through an outage.
document.addEventListener("diemcau:command", (event) => submitCommand(event.detail));

// "Your vote is counted" only once the server says the vote is in the log (its ack).
const votesSent = new Map(); // command id -> "ballot:choice"
const votedKey = outboxKey(wsPath).replace("dc-outbox:", "dc-voted:");

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

function onAck(msg) {
  outbox.settled(msg.command_id, { succeeded: true });
  editSettled(msg.command_id);
  voteAcknowledged(msg.command_id);
  const form = formOf.get(msg.command_id);
  formOf.delete(msg.command_id);
  if (!form) return;
  // The form keeps what was sent until a view shows the server has it.
  if (shown.seq >= msg.seq) release(form);
  else releaseAt.set(form, msg.seq);
}

function onError(msg) {
  if (msg.retryable && msg.command_id) {
    outbox.refusedForNow(msg.command_id);
    toast(msg.message, true);
    return;
  }
  if (msg.command_id) {
    // A resend would be refused the same way: it leaves the outbox; what the person entered
    // stays in the form so they can put it right.
    outbox.settled(msg.command_id, { succeeded: false });
    formOf.delete(msg.command_id);
    votesSent.delete(msg.command_id);
    if (msg.code !== "answer_changed") toast(msg.message, true);
    editRefused(msg.command_id);
    return;
  }
  toast(msg.message, true);
}

function onMessage(event) {
  lastHeard = Date.now();
  const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
  const msg = JSON.parse(text);
  if (msg.type === "view") {
    const older =
      msg.epoch === shown.epoch && (msg.seq < shown.seq || (msg.seq === shown.seq && msg.rev < shown.rev));
    if (!older) {
      shown = { epoch: msg.epoch, seq: msg.seq, rev: msg.rev };
      body.dataset.seq = String(msg.seq);
      showView(msg);
    }
  } else if (msg.type === "ack") {
    onAck(msg);
  } else if (msg.type === "error") {
    onError(msg);
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
    outbox.connected();
  };
  socket.onmessage = onMessage;
  socket.onclose = () => {
    wasOffline = true;
    outbox.disconnected();
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

function isTyping(target) {
  return Boolean(target.closest && target.closest("input, textarea, select, [contenteditable]"));
}

document.addEventListener("click", (event) => {
  const summary = event.target.closest && event.target.closest("#live details > summary");
  if (summary) keepOpenState(summary.parentElement);
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
  if (command.type === "show_question" && command.question_id) answerBoxWanted = command.question_id;
});

// "Show on screen" on the desk: once the question is on screen, the answer box is where the
// secretary types next, so it comes into view with the caret in it.
let answerBoxWanted = null;

function goToAnswerBox() {
  if (!answerBoxWanted) return;
  const area = document.getElementById("answer-" + answerBoxWanted);
  if (!area) return;
  answerBoxWanted = null;
  area.scrollIntoView({ block: "center" });
  area.focus();
}

// The host's keys (shown on the console): they act only when nobody is typing.
document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey || event.metaKey) return;
  if (isTyping(event.target)) return;
  const key = event.key === " " ? "space" : event.key.toLowerCase();
  if (key === "space" && event.target.closest && event.target.closest("button, a, summary")) return;
  const button = live.querySelector(`button[data-key~="${CSS.escape(key)}"]:not([disabled])`);
  if (!button) return;
  event.preventDefault();
  button.click();
});

// A person's change to a control is theirs until it is sent and the server has it.
for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    if (live.contains(event.target)) touch(event.target);
    if (event.target.closest && event.target.closest("[data-filters]")) applyFilters();
  }, true);
}

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

/** How a form's command shows while it waits: "into" a list, by one of its fields. */
function waitingShape(form, command) {
  const into = form.dataset.waitingInto;
  if (!into) return null;
  const path = (form.dataset.waitingText || "").split(".");
  let text = command;
  for (const part of path) text = text == null ? "" : text[part];
  return { into, text: String(text || "") };
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-command]");
  if (!form || !live.contains(form)) return;
  event.preventDefault();
  const command = { type: form.dataset.command, ...JSON.parse(form.dataset.args || "{}") };
  for (const field of form.elements) {
    if (!field.name || ((field.type === "radio" || field.type === "checkbox") && field.disabled)) continue;
    if (field.type === "radio" && !field.checked) continue;
    setPath(command, field.name, fieldValue(field));
  }
  if (form.dataset.newId) command[form.dataset.newId] = newCommandId();
  const commandId = submitCommand(command, waitingShape(form, command));
  if (form.dataset.command.startsWith("add_") || "reset" in form.dataset) {
    // An entry form is ready for the next entry at once: cleared, its first field focused.
    form.reset();
    release(form);
    const first = firstField(form);
    if (first) first.focus();
  } else {
    formOf.set(commandId, form);
  }
});

startLiveAnswer(live, submitCommand);

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
    const current = Array.from(list.querySelectorAll("li[data-search]"));
    if (items.some((item, i) => item !== current[i])) for (const item of items) list.appendChild(item);
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

/** This page and its own images (the join QR): what a reload offline needs besides the assets. */
function pageAndImages() {
  return [location.href, ...Array.from(document.querySelectorAll("img[src^='/m/']"), (img) => img.src)];
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker
    .register("/sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => registration.active && registration.active.postMessage({ keep: pageAndImages() }))
    .catch(() => {
      // not a secure context (plain http on a LAN): reloads need the server
    });
}
restoreKeptView();
refreshTimes();
fitProjector(live);
connect();
showStatus();
