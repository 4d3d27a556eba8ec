// The public REST API through the same Envoy origin. The API key lives in sessionStorage: this tab only, gone when
// it closes, never in a cookie (so no CSRF), sent as `Authorization: Bearer …` on every call.
const KEY = "cveval.apiKey";

export const session = {
  key: () => sessionStorage.getItem(KEY) || "",
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  // One readable line: what failed and why.
  get line() {
    return `${this.status} ${this.code || "error"}: ${this.message}`;
  }
}

async function failure(response) {
  let message = response.statusText || "request failed";
  try {
    const body = await response.json();
    if (body && body.message) message = body.message;
  } catch { /* not JSON: keep the status text */ }
  const code = response.headers.get("x-cveval-error-code") || "";
  return new ApiError(response.status, code, message.split("\n")[0]);
}

export async function call(method, path, { json, form, params, raw, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v != null) url.searchParams.set(k, v);
  const headers = { Authorization: `Bearer ${session.key()}` };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = crypto.randomUUID();
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "UNREACHABLE", "the server cannot be reached");
  }
  if (!response.ok) throw await failure(response);
  return raw ? response : response.json();
}

// A server-streamed call: Envoy writes one JSON array element by element (`[{…}`, `,{…}`, `]`); each element is
// handed to onItem as soon as it is complete. fetch + ReadableStream, no polling.
export async function stream(path, onItem, signal) {
  const response = await call("GET", path, { raw: true, signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    buffer = drain(buffer, onItem);
  }
}

function drain(buffer, onItem) {
  for (;;) {
    const rest = buffer.replace(/^[\s,[\]]+/, "");
    const end = objectEnd(rest);
    if (end < 0) return rest;
    onItem(JSON.parse(rest.slice(0, end)));
    buffer = rest.slice(end);
  }
}

// The index just past the first complete top-level JSON object, or -1.
function objectEnd(text) {
  let depth = 0, inString = false, escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return -1;
}
