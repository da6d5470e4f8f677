// A live update never touches what a person is entering. The server's view is morphed into the
// page (idiomorph), so nodes survive and the browser keeps their state; on top of that, a control
// a person has changed and not yet sent is left exactly as they left it, and nothing at all is
// applied while an input method is composing (Vietnamese Telex, Gboard, Laban Key).

import { Idiomorph } from "/static/vendor/idiomorph/idiomorph.esm.js";

const touched = new WeakSet(); // controls a person changed since the server last agreed
const openedByPerson = new WeakSet(); // <details> a person opened or closed
const hooks = []; // (oldNode, newNode) => false to leave a node as it is

const CONTROLS = "input, select, textarea";
const FOCUSABLE = "button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), a[href], summary";

/** The form (or filter bar) a control belongs to, by id: a control is kept only within it. */
function ownerKey(element) {
  const owner = element.closest("form, [data-filters]");
  return owner ? owner.id || owner.getAttribute("data-command") || "" : "";
}

/** Is `newNode` the same control as `oldNode` (the same form, name, type and, for a choice, value)? */
function sameControl(oldNode, newNode) {
  if (newNode.nodeType !== Node.ELEMENT_NODE || oldNode.tagName !== newNode.tagName) return false;
  if (oldNode.getAttribute("name") !== newNode.getAttribute("name")) return false;
  if (oldNode.getAttribute("id") !== newNode.getAttribute("id")) return false;
  if ((oldNode.getAttribute("type") || "") !== (newNode.getAttribute("type") || "")) return false;
  if ((oldNode.getAttribute("value") ?? "") !== (newNode.getAttribute("value") ?? "") && (oldNode.type === "radio" || oldNode.type === "checkbox")) return false;
  return ownerKey(oldNode) === ownerKey(newNode);
}

/** Remembers that a person changed this control (for a radio: its whole group). */
export function touch(control) {
  if (!control.matches || !control.matches(CONTROLS)) return;
  touched.add(control);
  if (control.type === "radio" && control.name) {
    const scope = control.form || control.closest("[data-filters]") || document;
    for (const other of scope.querySelectorAll(`input[type=radio][name="${CSS.escape(control.name)}"]`)) touched.add(other);
  }
}

export function isTouched(control) {
  return touched.has(control);
}

/** The server has what this form holds now: its controls follow the server again. */
export function release(form) {
  for (const control of form.querySelectorAll(CONTROLS)) touched.delete(control);
}

export function releaseControl(control) {
  touched.delete(control);
}

/** A person opened or closed this panel: updates no longer open or close it. */
export function keepOpenState(details) {
  openedByPerson.add(details);
}

/** Lets a feature leave a node alone during a morph (return false), e.g. the live answer. */
export function beforeMorph(hook) {
  hooks.push(hook);
}

let composing = false;
let deferred = null;

export function isComposing() {
  return composing;
}

document.addEventListener("compositionstart", () => {
  composing = true;
}, true);
document.addEventListener("compositionend", () => {
  composing = false;
  // The input event that ends the composition comes right after; apply what waited after it.
  setTimeout(applyDeferred, 0);
}, true);
document.addEventListener("focusout", () => {
  if (composing) {
    composing = false; // an input method never ends a composition whose field lost focus
    setTimeout(applyDeferred, 0);
  }
}, true);

function applyDeferred() {
  if (composing || !deferred) return;
  const { target, html, after } = deferred;
  deferred = null;
  morphNow(target, html, after);
}

/** Puts the server's html into `target`, now or, during a composition, right after it. */
export function morph(target, html, after) {
  if (composing) {
    deferred = { target, html, after };
    return;
  }
  morphNow(target, html, after);
}

function morphNow(target, html, after) {
  const anchor = focusAnchor(target);
  Idiomorph.morph(target, html, {
    morphStyle: "innerHTML",
    ignoreActiveValue: true,
    restoreFocus: true,
    callbacks: {
      beforeNodeMorphed(oldNode, newNode) {
        if (oldNode.nodeType !== Node.ELEMENT_NODE) return true;
        if (!hooks.every((hook) => hook(oldNode, newNode) !== false)) return false;
        if (touched.has(oldNode)) {
          if (sameControl(oldNode, newNode)) return false;
          touched.delete(oldNode);
        }
        return true;
      },
      beforeAttributeUpdated(name, node) {
        if (touched.has(node)) return false;
        if (name === "open" && openedByPerson.has(node)) return false;
        return true;
      },
    },
  });
  restoreFocus(target, anchor);
  if (after) after();
}

// Focus survives a morph on any node that survives; when the focused node went away (the
// speaker just called leaves the queue), focus moves to the nearest control that is still there.
function focusAnchor(target) {
  const active = document.activeElement;
  if (!active || active === document.body || !target.contains(active)) return null;
  const ids = [];
  for (let node = active; node && node !== target; node = node.parentElement) if (node.id) ids.push(node.id);
  const item = active.closest("li");
  const list = item && item.parentElement;
  return {
    element: active,
    ids,
    listId: list && list.id,
    index: list ? Array.prototype.indexOf.call(list.children, item) : -1,
  };
}

function restoreFocus(target, anchor) {
  if (!anchor || target.contains(anchor.element) && anchor.element.isConnected) return;
  if (document.activeElement && document.activeElement !== document.body && target.contains(document.activeElement)) return;
  const list = anchor.listId && document.getElementById(anchor.listId);
  if (list && list.children.length) {
    const item = list.children[Math.min(anchor.index, list.children.length - 1)];
    const control = item.querySelector(FOCUSABLE);
    if (control) return control.focus();
  }
  for (const id of anchor.ids) {
    const survivor = document.getElementById(id);
    if (!survivor || !target.contains(survivor)) continue;
    const control = survivor.matches(FOCUSABLE) ? survivor : survivor.querySelector(FOCUSABLE);
    if (control) return control.focus();
  }
}

/** The first control a person fills in a form, for the next entry after a send. */
export function firstField(form) {
  return form.querySelector("input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])");
}
