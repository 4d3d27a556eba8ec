// One candidate's result: the rubric scores with their evidence, the feedback and the provenance.
import { call, stream } from "../api.js";
import { fixed, h, pct, render } from "../dom.js";

export async function resultPage(jobId, signal) {
  let reply = await call("GET", `/v1/result/${encodeURIComponent(jobId)}`, { signal });
  if (reply.status === "queued" || reply.status === "processing") {
    render("Result", h("h1", {}, "Result"), h("p", { role: "status" }, `This evaluation is ${reply.status}…`));
    await stream(`/v1/result/${encodeURIComponent(jobId)}/watch`, (u) => { reply = u; }, signal);
  }
  const back = reply.result && reply.result.provenance && reply.result.provenance.vacancy_id;
  const nav = h("p", {}, h("a", { href: back ? `#/vacancies/${encodeURIComponent(back)}` : "#/vacancies" }, "← Ranking"));
  if (reply.status !== "completed" || !reply.result) {
    const error = reply.error || {};
    return render("Result", nav, h("h1", {}, "Result"),
      h("p", {}, `Status: ${reply.status}`), error.code ? h("p", {}, `${error.code}: ${error.message}`) : null);
  }
  const r = reply.result;
  const who = r.candidate || {};
  const name = who.display_name || who.cv_filename || jobId;
  const byStage = (stage) => (r.breakdown || []).filter((p) => p.stage === stage);
  render(name, nav, h("h1", {}, name),
    h("section", { class: "panel", "aria-labelledby": "summary-title" },
      h("h2", { id: "summary-title" }, "Summary"),
      h("dl", { class: "meta" },
        h("dt", {}, "CV match rate"), h("dd", {}, pct(r.cv_match_rate)),
        h("dt", {}, "Project score"), h("dd", {}, r.cv_only ? "not evaluated (no project report)" : `${fixed(r.project_score, 2)} / 5`),
        h("dt", {}, "Files"), h("dd", {}, [who.cv_filename, who.project_filename].filter(Boolean).join(" · "))),
      h("p", {}, r.overall_summary)),
    scores("CV", byStage("cv"), r.cv_feedback),
    r.cv_only ? h("section", { class: "panel" }, h("h2", {}, "Project report"),
      h("p", {}, "Not evaluated: this candidate was screened on the CV alone.")) :
      scores("Project", byStage("project"), r.project_feedback),
    provenance(r.provenance || {}, jobId));
}

function scores(title, params, feedback) {
  const id = `${title.toLowerCase()}-scores`;
  return h("section", { class: "panel", "aria-labelledby": id },
    h("h2", { id }, `${title} scores`),
    h("table", { class: "scores" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Parameter"), h("th", { scope: "col", class: "num" }, "Score"),
        h("th", { scope: "col", class: "num" }, "Weight"), h("th", { scope: "col" }, "Evidence"))),
      h("tbody", {}, ...params.map((p) => h("tr", {},
        h("th", { scope: "row" }, p.label || p.parameter),
        h("td", { class: "num" }, `${p.score} / 5`),
        h("td", { class: "num" }, `${Math.round(Number(p.weight || 0) * 100)} %`),
        h("td", {}, (p.evidence || []).length ? h("ul", {}, ...(p.evidence || []).map((e) => h("li", {}, e))) : "—"))))),
    h("h3", {}, "Feedback"), h("p", {}, feedback || "—"));
}

function provenance(p, jobId) {
  const rows = [["Job", jobId], ["Scorer", `${p.scorer || ""} ${p.scorer_version || ""}`], ["Models", (p.models || []).join(", ")],
    ["Prompt version", p.prompt_version], ["Rubric version", p.rubric_version], ["Vacancy", p.vacancy_id],
    ["Attempts", p.attempts], ["Tokens", `${p.prompt_tokens || 0} in, ${p.completion_tokens || 0} out`],
    ["Trace", p.trace_id], ["Retrieved chunks", (p.retrieved_chunk_ids || []).length]];
  return h("section", { class: "panel", "aria-labelledby": "prov-title" },
    h("h2", { id: "prov-title" }, "Provenance"),
    h("dl", { class: "meta" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v == null || v === "" ? "—" : String(v))])));
}
