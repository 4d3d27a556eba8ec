import { ApiError, call, session } from "../api.js";
import { clearError, h, render, showError } from "../dom.js";

export function signInPage() {
  const key = h("input", { id: "api-key", type: "password", autocomplete: "off", required: true,
    "aria-describedby": "api-key-hint" });
  const form = h("form", { class: "panel", onsubmit: (e) => submit(e, key) },
    h("label", { for: "api-key" }, "API key"),
    key,
    h("p", { class: "hint", id: "api-key-hint" },
      "An admin, submitter or reviewer key (cvk_…). make run prints the first admin key."),
    h("button", { type: "submit" }, "Sign in"));
  render("Sign in", h("h1", {}, "Sign in"), form);
}

async function submit(event, input) {
  event.preventDefault();
  clearError();
  const key = input.value.trim();
  if (!key) return showError("Enter an API key.");
  session.signIn(key);
  try {
    // The cheapest authenticated call every role may make.
    await call("GET", "/v1/vacancies", { params: { page_size: 1 } });
  } catch (err) {
    session.signOut();
    showError(err instanceof ApiError && err.status === 401 ? new ApiError(401, "UNAUTHENTICATED",
      "this API key is not valid (or was revoked)") : err);
    input.focus();
    return;
  }
  location.hash = "#/vacancies";
}
