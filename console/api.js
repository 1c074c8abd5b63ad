// The Groups API on the same origin: bearer-authenticated JSON calls, failing with ApiError
// (problem+json, or a network failure). The transport knows nothing of the session: the
// session tells it where the token comes from and what an unauthorized answer does.

export class ApiError extends Error {
  constructor(status, problem, network = false) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.network = network;
  }
}

const hooks = {
  /** The bearer token to send, or null. */
  token: () => null,
  /** Called (once the failing call has been answered) with the problem of a 401 to an authenticated call. */
  unauthorized: null,
};
/** Plugs the session in: `{token: () => string|null, unauthorized: (problem) => void}`. */
export function configureTransport({ token, unauthorized } = {}) {
  if (token) hooks.token = token;
  if (unauthorized) hooks.unauthorized = unauthorized;
}

/**
 * Calls the API; resolves {data, etag}; rejects with ApiError (problem+json, or a network failure).
 * `keepSession` keeps a 401 from reaching the unauthorized hook (signing in checks a new token).
 */
export async function api(method, path, { body, csv, accept, ifMatch, signal, keepSession = false } = {}) {
  const headers = { Accept: accept ? `${accept}, application/problem+json` : 'application/json, application/problem+json' };
  const token = hooks.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // A CSV file goes as it is (`csv` is its text).
  if (csv !== undefined) headers['Content-Type'] = 'text/csv; charset=utf-8';
  if (ifMatch) headers['If-Match'] = ifMatch;
  let res;
  try {
    const payload = csv !== undefined ? csv : body === undefined ? undefined : JSON.stringify(body);
    res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, {
      title: 'Network error',
      detail: "The server could not be reached. Check your connection (or that the API is running) and try again.",
    }, true);
  }
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = res.ok && accept ? text : null; } }
  if (!res.ok) {
    const problem = data && typeof data === 'object' && !Array.isArray(data)
      ? data : { title: `${res.status} ${res.statusText || 'Error'}`, detail: text.slice(0, 300) || 'The server answered with an error.' };
    if (res.status === 401 && token && !keepSession && hooks.unauthorized) {
      const hook = hooks.unauthorized;
      setTimeout(() => hook(problem), 0);
    }
    throw new ApiError(res.status, problem);
  }
  return { data, etag: res.headers.get('ETag'), status: res.status, link: res.headers.get('Link') };
}
export const qs = (params) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};
