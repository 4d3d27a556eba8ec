// Run in the page by tests/browser/pages.py: returns a list of problems, empty when the page passes.
const problems = [];
const visible = (el) => {
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return s.visibility !== "hidden" && s.display !== "none" && r.width > 0 && r.height > 0 && !el.closest("[hidden]");
};
for (const landmark of ["header", "nav", "main", "footer"]) {
  if (!document.querySelector(landmark)) problems.push(`no <${landmark}> landmark`);
}
if (!document.querySelector("main h1")) problems.push("no h1 in main");
for (const el of document.querySelectorAll("input, select, textarea")) {
  if (el.type === "hidden") continue;
  const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
  if (!named) problems.push(`control without a label: ${el.outerHTML.slice(0, 80)}`);
}
for (const el of document.querySelectorAll("button, a[href]")) {
  if (visible(el) && !el.textContent.trim() && !el.getAttribute("aria-label")) {
    problems.push(`control without a name: ${el.outerHTML.slice(0, 80)}`);
  }
}
// Contrast: each element that has its own text, against the first opaque background behind it.
const rgba = (c) => (c.match(/[\d.]+/g) || [0, 0, 0, 0]).map(Number);
const lum = ([r, g, b]) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const background = (el) => {
  for (let node = el; node; node = node.parentElement) {
    const c = rgba(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] >= 0.99) return c;
  }
  return [255, 255, 255, 1];
};
for (const el of document.querySelectorAll("body *")) {
  const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!ownText || !visible(el) || el.disabled || el.closest(".visually-hidden")) continue;
  const s = getComputedStyle(el);
  const fg = rgba(s.color);
  const [l1, l2] = [lum(fg), lum(background(el))].sort((a, b) => b - a);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const size = parseFloat(s.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} < ${large ? 3 : 4.5}: "${el.textContent.trim().slice(0, 40)}"`);
}
return problems;
