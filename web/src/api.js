// onemap's HTTP API, always on the page's own origin (nothing else is ever requested). A signed-in
// user's bearer token is kept in sessionStorage (gone when the tab closes; the phone pages keep
// theirs in localStorage, see useTokenStorage) and sent as the Authorization header with every
// request to onemap: JSON requests here, and the map's tiles and TileJSON through withToken
// (MapLibre's transformRequest). What each answer holds depends on who asks (README "Security"):
// a signed-in user gets its role's detail inside its area.
const TOKEN_KEY = 'onemap.token';
const listeners = new Set();
// Where the token is kept: the tab's sessionStorage on the desktop; the phone pages, used for
// days on one device, choose localStorage (useTokenStorage).
let storage = () => sessionStorage;
let tokenKey = TOKEN_KEY;

/// Keeps the token in `get()` (a Storage) under `key` instead of the tab's sessionStorage.
export function useTokenStorage(get, key = TOKEN_KEY) {
  storage = get;
  tokenKey = key;
}

export function token() {
  try {
    return storage().getItem(tokenKey) || '';
  } catch {
    return '';
  }
}

/// Signs in (a token) or out (''); `rejected`: the server refused the token. Listeners hear of
/// every change.
export function setToken(value, { rejected = false } = {}) {
  try {
    if (value) storage().setItem(tokenKey, value);
    else storage().removeItem(tokenKey);
  } catch {
    // storage disabled: not signed in
  }
  for (const f of listeners) f({ rejected });
}

/// Calls `f({rejected})` after every sign-in and sign-out.
export function onTokenChange(f) {
  listeners.add(f);
}

/// MapLibre's transformRequest: the token with requests to this origin (tiles, TileJSON), never
/// with a request elsewhere (a basemap's tiles).
export function withToken(requestUrl) {
  const tk = token();
  if (!tk || new URL(requestUrl, location.href).origin !== location.origin) return { url: requestUrl };
  return { url: requestUrl, headers: { Authorization: `Bearer ${tk}` } };
}

/// An answer other than 2xx: its status, and the error's code and parameter when onemap gave them
/// ({"error":{"code","status","message","parameter"}}).
export class ApiError extends Error {
  constructor(status, message, { code = null, parameter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter;
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

/// JSON from onemap, with the token when signed in: GET by default; `body` is sent as JSON;
/// `headers` are added (If-Match…). With `withETag` the answer is {data, etag}. A token the
/// server refuses (401) signs the page out; a GET is then asked again without it.
export async function request(path, { params, method = 'GET', body, signal, headers: extra = {}, withETag = false } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  const tk = token();
  if (tk) headers.Authorization = `Bearer ${tk}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (res.status === 401 && tk && token() === tk) {
    setToken('', { rejected: true });
    if (method === 'GET') return request(path, { params, method, body, signal, headers: extra, withETag });
  }
  const data = jsonOrNull(await res.text());
  if (!res.ok) throw apiError(res, data);
  return withETag ? { data, etag: res.headers.get('ETag') } : data;
}

/// The ApiError of a refused answer `res` with its parsed body `data`.
export function apiError(res, data) {
  const e = data?.error;
  return new ApiError(res.status, e?.message ?? `${res.status} ${res.statusText}`, { code: e?.code ?? null, parameter: e?.parameter ?? null });
}

/// An answer's body as JSON, or null when it is empty or not JSON (an error page of a proxy).
export function jsonOrNull(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export const getJSON = (path, params, options = {}) => request(path, { ...options, params });
