// Drop many CVs (and optional project reports) on a vacancy: upload each, start one batch, hand its id on.
import { call } from "../api.js";
import { clearError, h, showError } from "../dom.js";

const ACCEPT = ".pdf,.docx,.txt";
const UPLOADS_AT_ONCE = 2; // the upload service takes 4 requests at once; leave room for others

const stem = (name) => name.replace(/\.[^.]+$/, "").toLowerCase().replace(/[-_ ]?(report|project)$/, "");

export function screeningPanel(vacancyId, signal, onBatch) {
  let cvs = [];
  let reports = [];
  const rows = h("tbody");
  const cvInput = h("input", { id: "cv-files", type: "file", multiple: true, accept: ACCEPT });
  const reportInput = h("input", { id: "report-files", type: "file", multiple: true, accept: ACCEPT });
  const start = h("button", { type: "button", id: "start-batch", disabled: true }, "Upload and evaluate");
  const live = h("p", { id: "batch-counts", role: "status", "aria-live": "polite" });
  const bar = h("progress", { id: "batch-progress", max: 1, value: 0, "aria-labelledby": "progress-label" });
  const table = h("table", { hidden: true },
    h("caption", { class: "visually-hidden" }, "Candidates to evaluate"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "CV"), h("th", { scope: "col" }, "Project report"))), rows);

  const redraw = () => {
    rows.replaceChildren(...cvs.map((c, i) => {
      const select = h("select", { id: `report-for-${i}`, "aria-label": `Project report for ${c.file.name}` },
        h("option", { value: "" }, "none (CV only)"),
        ...reports.map((r, j) => h("option", { value: String(j), selected: c.report === j }, r.name)));
      select.addEventListener("change", () => { c.report = select.value === "" ? null : Number(select.value); });
      return h("tr", {}, h("td", {}, c.file.name), h("td", {}, select));
    }));
    table.hidden = cvs.length === 0;
    start.disabled = cvs.length === 0;
    start.textContent = cvs.length ? `Upload and evaluate ${cvs.length} CV${cvs.length > 1 ? "s" : ""}` : "Upload and evaluate";
  };
  const match = () => {
    for (const c of cvs) {
      const j = reports.findIndex((r) => stem(r.name) === stem(c.file.name));
      if (j >= 0) c.report = j; // by name only: any other pairing is chosen per row
    }
    redraw();
  };
  const addCvs = (files) => { cvs = cvs.concat([...files].map((file) => ({ file, report: null }))); match(); };
  const addReports = (files) => { reports = reports.concat([...files]); match(); };
  cvInput.addEventListener("change", () => addCvs(cvInput.files));
  reportInput.addEventListener("change", () => addReports(reportInput.files));

  const zone = h("div", { class: "drop", id: "drop-zone" },
    h("p", {}, "Drop CVs here (PDF, DOCX or TXT), or choose them below. Files named like a CV with “report” are ",
      "taken as its project report."));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const files = [...e.dataTransfer.files];
    const isReport = (f) => /(report|project)\.[^.]+$/i.test(f.name);
    addReports(files.filter(isReport));
    addCvs(files.filter((f) => !isReport(f)));
  });

  start.addEventListener("click", async () => {
    clearError();
    start.disabled = true;
    try {
      const candidates = await uploadAll(cvs, reports, live, signal);
      const made = await call("POST", "/v1/batches", { json: { vacancy_id: vacancyId, candidates }, signal });
      live.textContent = `Batch started: ${candidates.length} candidates queued.`;
      cvs = []; reports = []; cvInput.value = ""; reportInput.value = ""; redraw();
      await onBatch(made.batch.id);
    } catch (err) {
      if (err.name !== "AbortError") showError(err);
      start.disabled = cvs.length === 0;
    }
  });

  return h("section", { class: "panel", "aria-labelledby": "screen-title" },
    h("h2", { id: "screen-title" }, "Screen candidates"),
    zone,
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "cv-files" }, "CVs"), cvInput),
      h("div", {}, h("label", { for: "report-files" }, "Project reports (optional)"), reportInput)),
    table,
    h("p", {}, start),
    h("p", { id: "progress-label", class: "hint" }, "Batch progress"), bar, live);
}

async function uploadAll(cvs, reports, live, signal) {
  const candidates = new Array(cvs.length);
  let next = 0, done = 0;
  const one = async () => {
    while (next < cvs.length) {
      const i = next++;
      const form = new FormData();
      form.append("cv", cvs[i].file);
      if (cvs[i].report != null) form.append("project", reports[cvs[i].report]);
      const up = await call("POST", "/v1/upload", { form, signal });
      candidates[i] = up.project_id ? { cv_id: up.cv_id, project_id: up.project_id } : { cv_id: up.cv_id };
      live.textContent = `Uploaded ${++done} of ${cvs.length}.`;
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOADS_AT_ONCE, cvs.length) }, one));
  return candidates;
}
