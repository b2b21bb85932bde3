// onemap's HTTP API, always on the page's own origin (nothing else is ever requested). A signed-in
// user's bearer token is kept in sessionStorage (gone when the tab closes) and sent as the
// Authorization header; it is needed for personal household fields, the signed-in user
// (/users/me) and for writes.
const TOKEN_KEY = 'onemap.token';

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: not signed in
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/// A path with its query: `params` an object (undefined and null values left out) or a
/// URLSearchParams. Spaces are sent as %20 (onemap takes '+' literally).
export function url(path, params) {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams();
  if (!(params instanceof URLSearchParams))
    for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString().replace(/\+/g, '%20');
  return s ? `${path}?${s}` : path;
}

/// JSON from onemap: GET by default; `auth` sends the token; `body` is sent as JSON; `headers`
/// are added (If-Match…). With `withETag` the answer is {data, etag}.
export async function request(path, { params, method = 'GET', body, auth = false, signal, headers: extra = {}, withETag = false } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (auth) {
    const tk = token();
    if (tk) headers.Authorization = `Bearer ${tk}`;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data?.error?.message ?? `${res.status} ${res.statusText}`);
  return withETag ? { data, etag: res.headers.get('ETag') } : data;
}

export const getJSON = (path, params, options = {}) => request(path, { ...options, params });
