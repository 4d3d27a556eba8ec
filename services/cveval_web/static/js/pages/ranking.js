// A vacancy's ranking: sort, filter by status, keyset pages, export, delete a candidate.
import { call } from "../api.js";
import { clearError, fixed, h, pct, showError } from "../dom.js";

const PAGE_SIZE = 20;

export function rankingPanel(vacancyId, signal) {
  const order = h("select", { id: "rank-order" },
    h("option", { value: "overall" }, "Overall score"),
    h("option", { value: "cv_match_rate" }, "CV match rate"),
    h("option", { value: "project_score" }, "Project score"));
  const status = h("select", { id: "rank-status" },
    ...["completed", "failed", "processing", "queued"].map((s) => h("option", { value: s }, s)));
  const head = h("thead");
  const body = h("tbody");
  const prev = h("button", { type: "button", class: "secondary", id: "rank-prev" }, "Previous page");
  const next = h("button", { type: "button", class: "secondary", id: "rank-next" }, "Next page");
  const where = h("span", { class: "hint", "aria-live": "polite", id: "rank-page" });
  const exported = h("p", { role: "status", id: "export-status", class: "status" });
  const tokens = [""]; // the token of each page seen so far: keyset pages go back through this list
  let page = 0;

  const load = async () => {
    clearError();
    const params = { page_size: PAGE_SIZE, page_token: tokens[page] };
    let items, token;
    if (status.value === "completed") {
      const reply = await call("GET", `/v1/vacancies/${encodeURIComponent(vacancyId)}/ranking`,
        { params: { ...params, order_by: order.value }, signal });
      items = (reply.candidates || []).map(rankedRow);
      token = reply.next_page_token;
      head.replaceChildren(header(["#", "Candidate", "Overall", "CV match", "Project", "Files", "Actions"]));
    } else {
      const reply = await call("GET", "/v1/jobs", { params: { ...params, vacancy_id: vacancyId, status: status.value }, signal });
      items = (reply.jobs || []).map(jobRow);
      token = reply.next_page_token;
      head.replaceChildren(header(["Job", "Status", "Error", "Actions"]));
    }
    tokens.length = page + 1;
    if (token) tokens.push(token);
    body.replaceChildren(...(items.length ? items : [h("tr", {}, h("td", { colspan: 7 }, "Nothing here yet."))]));
    prev.disabled = page === 0;
    next.disabled = !token;
    where.textContent = `Page ${page + 1}`;
  };
  const reset = () => { tokens.length = 1; page = 0; load().catch(showError); };
  order.addEventListener("change", reset);
  status.addEventListener("change", reset);
  prev.addEventListener("click", () => { page = Math.max(0, page - 1); load().catch(showError); });
  next.addEventListener("click", () => { page += 1; load().catch(showError); });

  const rowActions = (cvId, name) => h("td", {},
    h("button", { type: "button", class: "danger", "data-cv": cvId, onclick: () => confirmDelete(cvId, name, reset) },
      "Delete", h("span", { class: "visually-hidden" }, ` ${name}`)));
  const rankedRow = (c) => {
    const who = c.candidate || {};
    const name = who.display_name || who.cv_filename || c.cv_id;
    return h("tr", {},
      h("td", { class: "num" }, c.rank),
      h("td", {}, h("a", { href: `#/results/${encodeURIComponent(c.job_id)}` }, name)),
      h("td", { class: "num" }, pct(c.overall_score)),
      h("td", { class: "num" }, pct(c.cv_match_rate)),
      h("td", { class: "num" }, c.cv_only ? "not evaluated" : `${fixed(c.project_score, 1)} / 5`),
      h("td", {}, [who.cv_filename, who.project_filename].filter(Boolean).join(" · ")),
      rowActions(c.cv_id, name));
  };
  const jobRow = (j) => h("tr", {},
    h("td", {}, h("a", { href: `#/results/${encodeURIComponent(j.id)}` }, j.id.slice(0, 8))),
    h("td", {}, j.status), h("td", {}, j.error ? `${j.error.code}: ${j.error.message}` : ""),
    rowActions(j.cv_id, j.cv_id));

  const exportAs = async (format) => {
    clearError();
    try {
      const response = await call("GET", `/v1/vacancies/${encodeURIComponent(vacancyId)}/ranking:export`,
        { params: { format, order_by: order.value }, raw: true, signal });
      const blob = await response.blob();
      const name = `ranking-${vacancyId}.${format}`;
      const link = h("a", { href: URL.createObjectURL(blob), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      exported.textContent = `Exported ${name} (${blob.size} bytes).`;
    } catch (err) {
      showError(err);
    }
  };

  const element = h("section", { class: "panel", "aria-labelledby": "ranking-title" },
    h("h2", { id: "ranking-title" }, "Ranking"),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "rank-order" }, "Sort by"), order),
      h("div", {}, h("label", { for: "rank-status" }, "Status"), status),
      h("div", { class: "shrink" },
        h("button", { type: "button", class: "secondary", id: "export-csv", onclick: () => exportAs("csv") }, "Export CSV"),
        " ",
        h("button", { type: "button", class: "secondary", id: "export-json", onclick: () => exportAs("json") }, "Export JSON"))),
    h("table", { id: "ranking" }, h("caption", { class: "visually-hidden" }, "Candidates, best first"), head, body),
    h("div", { class: "pager" }, prev, next, where),
    exported);
  return { element, load };
}

function header(names) {
  return h("tr", {}, ...names.map((n) => h("th", { scope: "col", class: /Overall|match|Project|#/.test(n) ? "num" : "" }, n)));
}

function confirmDelete(cvId, name, done) {
  const cancel = h("button", { type: "button", class: "secondary", id: "delete-cancel" }, "Cancel");
  const confirm = h("button", { type: "button", class: "danger", id: "delete-confirm" }, "Delete");
  const dialog = h("dialog", { "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, `Delete ${name}?`),
    h("p", {}, "This erases the CV, its evaluations and results, and project reports used only by them. It cannot be undone."),
    h("p", {}, cancel, " ", confirm));
  const close = () => { dialog.close(); dialog.remove(); };
  cancel.addEventListener("click", close);
  dialog.addEventListener("cancel", () => dialog.remove());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await call("DELETE", `/v1/candidates/${encodeURIComponent(cvId)}`);
      close();
      document.getElementById("export-status").textContent = `Deleted ${name}.`;
      done();
    } catch (err) {
      close();
      showError(err);
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
}
