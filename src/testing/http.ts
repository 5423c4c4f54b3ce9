/** One HTTP call to a running `camprint serve`, as the API tests make it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed API JSON, checked field by field
export type Json = any;

export interface Answer {
  status: number;
  json: Json;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  /** A JSON body (a string is sent as is: malformed bodies are tests too). */
  json?: unknown;
  form?: FormData;
  /** Sent as `Authorization: Bearer <token>`; null sends none. */
  token?: string | null;
  /** The whole Authorization header, instead of the bearer token. */
  authorization?: string;
}

/** `method` `url`; the answer's JSON is undefined when the body is not JSON. */
export async function callApi(method: string, url: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (opts.token != null) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof opts.json === 'string' ? opts.json : JSON.stringify(opts.json);
  } else if (opts.form) body = opts.form;
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, headers: r.headers };
}
