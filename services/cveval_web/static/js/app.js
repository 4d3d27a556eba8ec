// The router: hash routes, so the server only ever serves `/` and its assets.
import { session } from "./api.js";
import { clearError, showError } from "./dom.js";
import { signInPage } from "./pages/signin.js";
import { vacanciesPage } from "./pages/vacancies.js";
import { vacancyPage } from "./pages/vacancy.js";
import { resultPage } from "./pages/result.js";

const routes = [
  [/^#\/vacancies\/([^/]+)$/, (id) => vacancyPage(decodeURIComponent(id))],
  [/^#\/results\/([^/]+)$/, (id) => resultPage(decodeURIComponent(id))],
  [/^#\/vacancies$/, () => vacanciesPage()],
];

let leaving = new AbortController();

async function route() {
  leaving.abort(); // a page's open streams end when it is left
  leaving = new AbortController();
  clearError();
  const signedIn = Boolean(session.key());
  document.getElementById("sign-out").hidden = !signedIn;
  document.getElementById("nav-vacancies").hidden = !signedIn;
  if (!signedIn) {
    signInPage();
    return performance.mark("cveval:loaded");
  }
  const hash = location.hash || "#/vacancies";
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (match) {
      try {
        await page(...match.slice(1), leaving.signal);
        performance.mark("cveval:loaded"); // the page and its data are on screen (bench/web_bench.py)
      } catch (err) {
        if (err.name !== "AbortError") showError(err);
      }
      return;
    }
  }
  location.hash = "#/vacancies";
}

export function pageSignal() {
  return leaving.signal;
}

document.getElementById("sign-out").addEventListener("click", () => {
  session.signOut();
  location.hash = "#/signin";
  route();
});
window.addEventListener("hashchange", route);
route();
