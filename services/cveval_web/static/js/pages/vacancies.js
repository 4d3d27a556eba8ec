import { call } from "../api.js";
import { clearError, h, render, showError } from "../dom.js";

export async function vacanciesPage(signal) {
  const list = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More vacancies");
  render("Vacancies", h("h1", {}, "Vacancies"),
    h("section", { "aria-labelledby": "list-title" },
      h("h2", { id: "list-title" }, "All vacancies"),
      h("table", {}, h("caption", { class: "visually-hidden" }, "Vacancies, newest first"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Version"),
          h("th", { scope: "col" }, "Created"))),
        list),
      more),
    createForm());
  let token = "";
  const load = async () => {
    const page = await call("GET", "/v1/vacancies", { params: { page_size: 20, page_token: token }, signal });
    for (const v of page.vacancies || []) {
      list.append(h("tr", {},
        h("td", {}, h("a", { href: `#/vacancies/${encodeURIComponent(v.id)}` }, v.title || v.id)),
        h("td", {}, v.version), h("td", {}, (v.created_at || "").replace("T", " ").slice(0, 16))));
    }
    token = page.next_page_token || "";
    more.hidden = !token;
  };
  more.addEventListener("click", () => load().catch(showError));
  await load();
}

function createForm() {
  const title = h("input", { id: "vacancy-title", type: "text", required: true, maxlength: 200 });
  const jd = h("textarea", { id: "vacancy-jd", "aria-describedby": "vacancy-jd-hint" });
  const jdFile = h("input", { id: "vacancy-jd-file", type: "file", accept: ".pdf,.docx,.txt" });
  const brief = h("textarea", { id: "vacancy-brief" });
  const briefFile = h("input", { id: "vacancy-brief-file", type: "file", accept: ".pdf,.docx,.txt" });
  const button = h("button", { type: "submit", id: "vacancy-create" }, "Create vacancy");
  const form = h("form", { class: "panel", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "New vacancy"),
    h("label", { for: "vacancy-title" }, "Title"), title,
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "vacancy-jd" }, "Job description (paste)"), jd),
      h("div", { class: "shrink" }, h("label", { for: "vacancy-jd-file" }, "…or upload (PDF, DOCX, TXT)"), jdFile)),
    h("p", { class: "hint", id: "vacancy-jd-hint" }, "Paste the text or choose a file; a file wins."),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "vacancy-brief" }, "Case-study brief (paste)"), brief),
      h("div", { class: "shrink" }, h("label", { for: "vacancy-brief-file" }, "…or upload"), briefFile)),
    h("p", {}, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    button.disabled = true;
    try {
      const body = { title: title.value.trim(), job_description: jd.value, study_case_brief: brief.value };
      const files = new FormData();
      if (jdFile.files[0]) files.append("job_description", jdFile.files[0]);
      if (briefFile.files[0]) files.append("case_study_brief", briefFile.files[0]);
      if ([...files.keys()].length) {
        // Uploaded documents are read by the upload service; the vacancy takes their extracted text.
        const ids = (await call("POST", "/v1/upload", { form: files })).vacancy_documents || {};
        if (ids.job_description_id) { body.job_description_document_id = ids.job_description_id; body.job_description = ""; }
        if (ids.case_study_brief_id) { body.study_case_brief_document_id = ids.case_study_brief_id; body.study_case_brief = ""; }
      }
      const made = await call("POST", "/v1/vacancies", { json: body });
      location.hash = `#/vacancies/${encodeURIComponent(made.vacancy.id)}`;
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
