// The live answer: what the secretary types is sent as small edits (keep a prefix, add a tail),
// at most a couple of times a second; each edit is a command in the log, so nothing typed is lost.
// Lengths are counted in code points, as the server counts them (docs/protocol.md), so emoji,
// Han-Nôm characters and combining marks round-trip; a surrogate pair is never split.

import { beforeMorph, isComposing, isTouched, releaseControl } from "/static/js/keep.js";

const ANSWER_EVERY_MS = 600;
const AREA = "textarea[data-live-answer]";

const serverText = new Map(); // question id -> the answer as the last view showed it
const sentText = new Map(); // question id -> the answer our last edit makes (the next edit's base)
const editOf = new Map(); // command id -> question id
let timer = null;
let submit = null;
let root = document;

/** The edit that turns `base` into `text`, in code points. */
export function answerEdit(base, text) {
  const before = Array.from(base);
  const after = Array.from(text);
  let keep = 0;
  while (keep < before.length && keep < after.length && before[keep] === after[keep]) keep += 1;
  return { base_length: before.length, keep, tail: after.slice(keep).join("") };
}

/** The text as the server keeps it (server/core/rules.py `without_controls`): line breaks stay,
 *  other control and format characters (a pasted bidi override, a zero-width mark) go. */
export function withoutControls(text) {
  return text.replace(/\r\n/g, "\n").replace(/(?!\n)[\p{Cc}\p{Cf}]/gu, "");
}

/** Takes the controls out of the box itself, caret kept, so the box and the server agree. */
function cleanBox(area) {
  const clean = withoutControls(area.value);
  if (clean === area.value) return;
  const caret = withoutControls(area.value.slice(0, area.selectionEnd)).length;
  area.value = clean;
  area.setSelectionRange(caret, caret);
}

function baseOf(area) {
  const id = area.dataset.liveAnswer;
  if (sentText.has(id)) return sentText.get(id);
  if (serverText.has(id)) return serverText.get(id);
  return area.defaultValue;
}

function flush() {
  timer = null;
  for (const area of root.querySelectorAll(AREA)) {
    const id = area.dataset.liveAnswer;
    const base = baseOf(area);
    if (area.value === base) continue;
    if (isComposing() && document.activeElement === area) {
      later(); // send the syllable when the input method has made it
      continue;
    }
    cleanBox(area);
    if (area.value === base) continue;
    const commandId = submit({ type: "edit_answer", question_id: id, ...answerEdit(base, area.value) });
    editOf.set(commandId, id);
    sentText.set(id, area.value);
  }
}

function later() {
  timer ??= setTimeout(flush, ANSWER_EVERY_MS);
}

/** The server refused an edit for good: diff again from what the views show it has. */
export function editRefused(commandId) {
  const id = editOf.get(commandId);
  if (id === undefined) return;
  editOf.delete(commandId);
  sentText.delete(id);
  later();
}

export function editSettled(commandId) {
  editOf.delete(commandId);
}

/**
 * @param {Element} live the live area
 * @param {(command: object) => string} submitCommand queues a command, answers its id
 */
export function startLiveAnswer(live, submitCommand) {
  root = live;
  submit = submitCommand;
  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches(AREA)) later();
  });
  // What the person typed and the server does not have yet stays; once the server has
  // exactly what the box holds, the box follows the server again (another typist).
  beforeMorph((oldNode, newNode) => {
    if (!oldNode.matches(AREA) || newNode.nodeType !== Node.ELEMENT_NODE) return true;
    if (oldNode.dataset.liveAnswer !== newNode.getAttribute("data-live-answer")) return true;
    const id = oldNode.dataset.liveAnswer;
    const text = newNode.textContent;
    serverText.set(id, text);
    if (oldNode.value === text) {
      releaseControl(oldNode);
      if (sentText.get(id) === text) sentText.delete(id);
      return true;
    }
    const busy = document.activeElement === oldNode || isTouched(oldNode) || sentText.has(id) || timer !== null;
    if (busy) return false;
    return true;
  });
  for (const area of live.querySelectorAll(AREA)) serverText.set(area.dataset.liveAnswer, area.defaultValue);
}
