import type { User, Workspace } from '@spin/protocol';
import type { ErrorInfo } from '../app/api';

/**
 * Input checks of the "Pair a runtime" form (DESIGN.md §1 "Pairing a runtime"), run before
 * anything is sent so a typo never carries the SPIN_TOKEN to a wrong place.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** What the admin typed. */
export interface PairFormValues {
  name: string;
  url: string;
  token: string;
  fingerprint: string;
}

/** The checked arguments of `pairRuntime` that come from the form. */
export interface PairInput {
  name: string;
  runtimeUrl: string;
  spinToken: string;
  expectedFingerprint?: string;
}

/** Same limits as the server's RegisterRuntimeRequestSchema. */
const MAX_URL_LENGTH = 512;
const MAX_NAME_LENGTH = 200;

function invalid(code: string, message: string): { ok: false; error: ErrorInfo } {
  return { ok: false, error: { code, message } };
}

/** Hosts a browser treats as potentially trustworthy even over plain http. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}

/**
 * Check and normalise a runtime's base URL: http(s) only, no credentials, query or fragment,
 * no trailing slash. `pageProtocol` (the UI's `location.protocol`) catches an http runtime
 * that an https page could not reach (mixed content), loopback excepted.
 */
export function checkRuntimeUrl(input: string, pageProtocol?: string): Checked<string> {
  const text = input.trim();
  if (!text) return invalid('client.invalid_url', 'enter the runtime URL, e.g. https://host:8888');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid('client.invalid_url', `"${text}" is not a URL; use e.g. https://host:8888`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return invalid('client.invalid_url', 'the runtime URL must start with http:// or https://');
  }
  if (url.username || url.password) {
    return invalid('client.invalid_url', 'the runtime URL must not contain a user or password');
  }
  if (url.search || url.hash) {
    return invalid('client.invalid_url', 'the runtime URL must not have a query or fragment');
  }
  if (pageProtocol === 'https:' && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return invalid(
      'client.invalid_url',
      'this page is served over https, so the browser blocks an http:// runtime; use https://',
    );
  }
  const normalised = url.origin + url.pathname.replace(/\/+$/, '');
  if (normalised.length > MAX_URL_LENGTH) {
    return invalid('client.invalid_url', `the runtime URL is longer than ${MAX_URL_LENGTH}`);
  }
  return { ok: true, value: normalised };
}

/**
 * Check the optional expected fingerprint. Accepts what the runtime prints
 * (`SHA256:ab:cd:…`, 16 bytes) in any case, with or without the prefix and colons; empty means
 * "not given".
 */
export function checkFingerprint(input: string): Checked<string | undefined> {
  const text = input.trim();
  if (!text) return { ok: true, value: undefined };
  const hex = text
    .replace(/^sha256:/i, '')
    .replace(/[\s:]/g, '')
    .toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) {
    return invalid(
      'client.invalid_fingerprint',
      'the fingerprint should look like SHA256:1f:2e:… (16 hex pairs), as the runtime prints it',
    );
  }
  return { ok: true, value: 'SHA256:' + (hex.match(/../g) ?? []).join(':') };
}

/** Check the whole form; the first problem found is reported. */
export function checkPairForm(values: PairFormValues, pageProtocol?: string): Checked<PairInput> {
  const name = values.name.trim();
  if (!name) return invalid('client.invalid_name', 'give the runtime a name');
  if (name.length > MAX_NAME_LENGTH) {
    return invalid('client.invalid_name', `the name is longer than ${MAX_NAME_LENGTH}`);
  }
  const url = checkRuntimeUrl(values.url, pageProtocol);
  if (!url.ok) return url;
  const spinToken = values.token.trim();
  if (!spinToken) {
    return invalid('client.token_missing', 'enter the SPIN_TOKEN the runtime was started with');
  }
  const fingerprint = checkFingerprint(values.fingerprint);
  if (!fingerprint.ok) return fingerprint;
  return {
    ok: true,
    value: {
      name,
      runtimeUrl: url.value,
      spinToken,
      ...(fingerprint.value ? { expectedFingerprint: fingerprint.value } : {}),
    },
  };
}

/**
 * Whether the user may pair runtimes (DESIGN.md §4: workspace owners; org admins act as owners
 * everywhere). The server decides; this only hides a form that would be refused.
 */
export function canPairRuntimes(
  user: Pick<User, 'orgRole'>,
  workspaces: readonly Pick<Workspace, 'role'>[],
): boolean {
  return user.orgRole === 'admin' || workspaces.some((w) => w.role === 'owner');
}

/**
 * The workspaces a runtime may be paired into by this user: those they own (org admins: all).
 * Like {@link canPairRuntimes}, this only shapes the form; the server decides.
 */
export function pairableWorkspaces<W extends Pick<Workspace, 'role'>>(
  user: Pick<User, 'orgRole'>,
  workspaces: readonly W[],
): W[] {
  return user.orgRole === 'admin' ? [...workspaces] : workspaces.filter((w) => w.role === 'owner');
}
