// A projector is read from the back of a hall: nothing shrinks below a legible size, nothing is
// cut off for good. A block that does not fit (data-pager) pages through itself; the answer being
// typed (data-pager="follow") keeps its newest lines on screen, and pages once typing has stopped.

const FOLLOW_MS = 5000; // typing stopped this long ago: the answer may page
const PAGE_MS = 7000; // each page stays this long (the last one a little longer)

function overflows(box) {
  return box.scrollHeight > box.clientHeight + 2;
}

function step(box, now) {
  box.dataset.scrolled = String(box.scrollTop > 0);
  box.dataset.more = String(box.scrollTop + box.clientHeight < box.scrollHeight - 2);
  if (!overflows(box)) {
    box.scrollTop = 0;
    box.dataset.paged = "false";
    return;
  }
  box.dataset.paged = "true";
  if (box.pagedAt === undefined) box.pagedAt = now; // the first page stays its full time
  const text = box.textContent;
  if (text !== box.lastText) {
    box.lastText = text;
    box.changedAt = now;
  }
  const following = box.dataset.pager === "follow" && now - (box.changedAt || 0) < FOLLOW_MS;
  if (following) {
    box.scrollTo({ top: box.scrollHeight, behavior: "smooth" });
    box.pagedAt = now;
    return;
  }
  if (now - (box.pagedAt || 0) < PAGE_MS) return;
  box.pagedAt = now;
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 2;
  box.scrollTo({ top: atEnd ? 0 : box.scrollTop + box.clientHeight * 0.9, behavior: "smooth" });
}

/** Called after every view and every second on a projector page. */
export function fitProjector(live) {
  if (!document.body.classList.contains("projector")) return;
  const now = Date.now();
  for (const box of live.querySelectorAll("[data-pager]")) step(box, now);
}
