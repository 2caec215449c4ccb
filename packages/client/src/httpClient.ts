import type { z } from 'zod';
import { CSRF_HEADER } from '@spin/protocol';
import { ApiError, errorFromResponse } from './errors.js';

/** What {@link HttpClient} reads of a response (a WHATWG `Response` has all of it). */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { getSetCookie?(): string[] };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * What {@link HttpClient} needs of `fetch`: WHATWG `fetch` fits (the browser's); Node code gets
 * a leaner one from `@spin/client/node` (`nodeFetch`).
 */
export type FetchLike = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    /** A Blob is a large JSON body written in slices (a receipt with its outputs). */
    body?: string | Blob;
    credentials?: RequestCredentials;
  },
) => Promise<ResponseLike>;

/** Options shared by the HTTP side of the client. */
export interface HttpClientOptions {
  /** Server origin, e.g. `http://localhost:8080` (empty string = same origin in a browser). */
  baseUrl: string;
  fetch?: FetchLike;
  /**
   * Keep cookies in memory (Node, where fetch has no cookie store). Browsers keep the session
   * cookie themselves (httpOnly), so leave this off there.
   */
  manageCookies?: boolean;
  /**
   * An API token (`spin_…`) sent as `Authorization: Bearer` on every request — for agents, the
   * CLI and oneshot runs. A bearer request needs no session cookie and no CSRF token.
   */
  apiToken?: string;
  /**
   * Called once for every request the server answers with `auth.unauthenticated` (the session
   * expired or was revoked), before the error is thrown to the caller: the app's one place to
   * send the user back to the login form, whichever page or query made the request.
   */
  onUnauthenticated?: (err: ApiError) => void;
}

/**
 * Minimal JSON-over-HTTP client: validates every response with a zod schema (the server is a
 * trust boundary too), sends the CSRF header on state-changing requests, and turns error bodies
 * into {@link ApiError}s.
 */
export class HttpClient {
  readonly baseUrl: string;
  private readonly doFetch: FetchLike;
  private readonly cookies = new Map<string, string>();
  private readonly manageCookies: boolean;
  private readonly apiToken: string | undefined;
  private readonly onUnauthenticated: ((err: ApiError) => void) | undefined;
  /** Set from SessionInfo after signup/login/me. */
  csrfToken: string | null = null;

  constructor(opts: HttpClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.manageCookies = opts.manageCookies ?? false;
    this.apiToken = opts.apiToken;
    this.onUnauthenticated = opts.onUnauthenticated;
  }

  async request<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    return this.parse(
      method,
      path,
      schema,
      await this.send(method, path, body !== undefined ? JSON.stringify(body) : undefined),
    );
  }

  /**
   * Like {@link request}, with a body that is JSON text already — an uploaded file (sent as it
   * is, so the server, not the browser, judges it and answers with its error code), or a Blob
   * written in slices (`jsonBlobInSlices`) so a large body is never serialised in one task.
   */
  async requestJsonText<S extends z.ZodType>(
    method: 'POST' | 'PUT',
    path: string,
    schema: S,
    jsonText: string | Blob,
  ): Promise<z.infer<S>> {
    return this.parse(method, path, schema, await this.send(method, path, jsonText));
  }

  /** A GET whose answer is a file (text), not an API object. */
  async getText(path: string, accept: string): Promise<string> {
    return (await this.send('GET', path, undefined, accept)).text();
  }

  private async send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    bodyText: string | Blob | undefined,
    accept = 'application/json',
  ): Promise<ResponseLike> {
    const headers: Record<string, string> = { accept };
    if (bodyText !== undefined) headers['content-type'] = 'application/json';
    if (this.apiToken) headers.authorization = `Bearer ${this.apiToken}`;
    if (method !== 'GET' && this.csrfToken) headers[CSRF_HEADER] = this.csrfToken;
    if (this.manageCookies && this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    let res: ResponseLike;
    try {
      res = await this.doFetch(this.baseUrl + path, {
        method,
        headers,
        credentials: 'same-origin',
        ...(bodyText !== undefined ? { body: bodyText } : {}),
      });
    } catch (err) {
      throw new ApiError(
        'client.network_error',
        `cannot reach the server: ${(err as Error).message}`,
      );
    }
    if (this.manageCookies) this.storeCookies(res);
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (err.code === 'auth.unauthenticated') this.onUnauthenticated?.(err);
      throw err;
    }
    return res;
  }

  private async parse<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    res: ResponseLike,
  ): Promise<z.infer<S>> {
    const text = await res.text();
    const json: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ApiError(
        'client.bad_response',
        `unexpected response from ${method} ${path}`,
        res.status,
      );
    }
    return parsed.data;
  }

  private storeCookies(res: ResponseLike): void {
    const list = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
