// A <select data-choices="LIST"> comes from the server with only its own value; the whole list
// (600 sites, say) is on the page once, in <datalist id="LIST">, and fills the select when a
// person reaches for it. Every question's form carrying 600 sites was 3 MB a redraw at 100
// questions. An update leaves a focused select's options alone (keep.js morphs with
// ignoreActiveValue) and keeps one a person changed; any other goes back to the server's short
// version, and fills again when it is used.

const LAZY = "select[data-choices]";

function fill(select) {
  const list = document.getElementById(select.dataset.choices);
  if (!list || select.options.length > list.children.length) return; // filled already
  const chosen = select.value;
  const placeholder = Array.from(select.options).filter((option) => option.value === "");
  select.replaceChildren(
    ...placeholder,
    ...Array.from(list.querySelectorAll("option"), (o) => new Option(o.textContent, o.value)),
  );
  select.value = chosen;
}

for (const type of ["pointerdown", "mousedown", "touchstart", "focusin", "keydown"]) {
  document.addEventListener(type, (event) => {
    const select = event.target.closest && event.target.closest(LAZY);
    if (select) fill(select);
  }, true);
}
