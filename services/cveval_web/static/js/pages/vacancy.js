import { call, stream } from "../api.js";
import { h, render, showError } from "../dom.js";
import { screeningPanel } from "./screening.js";
import { rankingPanel } from "./ranking.js";

export async function vacancyPage(id, signal) {
  const { vacancy } = await call("GET", `/v1/vacancies/${encodeURIComponent(id)}`, { signal });
  const ranking = rankingPanel(vacancy.id, signal);
  const texts = h("details", { class: "panel" }, h("summary", {}, "Job description and case-study brief"),
    h("h3", {}, "Job description"), h("div", { class: "pre", tabindex: "0" }, vacancy.job_description || "—"),
    h("h3", {}, "Case-study brief"), h("div", { class: "pre", tabindex: "0" }, vacancy.study_case_brief || "—"));
  render(vacancy.title || "Vacancy",
    h("p", {}, h("a", { href: "#/vacancies" }, "← All vacancies")),
    h("h1", {}, vacancy.title || vacancy.id),
    h("p", { class: "hint" }, `Vacancy ${vacancy.id} · version ${vacancy.version}`),
    texts,
    screeningPanel(vacancy.id, signal, (batchId) => watch(batchId, ranking, signal)),
    ranking.element);
  await ranking.load();
}

// Follow a batch with the streamed watch endpoint until it is done, then reload the ranking.
async function watch(batchId, ranking, signal) {
  const bar = document.getElementById("batch-progress");
  const counts = document.getElementById("batch-counts");
  const show = (batch) => {
    const p = batch.progress || {};
    const ended = Number(p.completed || 0) + Number(p.failed || 0);
    bar.max = Number(p.total || 1);
    bar.value = ended;
    counts.textContent = `${ended} of ${p.total || 0} evaluated — queued ${p.queued || 0}, processing ` +
      `${p.processing || 0}, completed ${p.completed || 0}, failed ${p.failed || 0}` + (batch.done ? ". Done." : "");
    if (batch.done) counts.dataset.done = "true";
  };
  try {
    await stream(`/v1/batches/${encodeURIComponent(batchId)}/watch`, (update) => show(update.batch || update), signal);
  } catch (err) {
    if (err.name !== "AbortError") showError(err);
    return;
  }
  await ranking.load();
}
