// Elements are built with textContent only (never innerHTML), so API data cannot inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const errorBox = () => document.getElementById("error");

export function showError(err) {
  const box = errorBox();
  box.textContent = err && err.line ? err.line : String(err && err.message ? err.message : err);
  box.hidden = false;
}

export function clearError() {
  const box = errorBox();
  box.hidden = true;
  box.textContent = "";
}

// Render a page into <main>, move focus there (screen readers announce the new heading) and set the title.
export function render(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren(...children.flat());
  document.title = `${title} — cveval`;
  main.focus();
}

export const pct = (x) => `${(Number(x || 0) * 100).toFixed(1)} %`;
export const fixed = (x, digits = 2) => Number(x || 0).toFixed(digits);
