import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotebookSession, ServerApi, type CellRunResult } from '@spin/client';
import { NodeWebSocket, nodeFetch } from '@spin/client/node';
import {
  ConnectionSchema,
  SecretSchema,
  importKey,
  openProgram,
  type Output,
} from '@spin/protocol';
import { startAll, type SpinInstance } from '../src/index.js';
import { ADMIN, stackOptions } from './fixtures.js';

/**
 * Issue 9, acceptance 1, over the whole product: a canary secret stored through the API, used
 * by Python and shell cells that print it plainly, encoded five ways and one character at a
 * time, through the real server, client relay, credential bundle and runtime. Then everything
 * a person or a process could read is searched for the value in every one of those encodings:
 * each API response the client received (notebook, export, audit, connection and secret reads),
 * the decrypted compiled programs, the cells' outputs, every log line of both tiers at trace
 * level, and every file under both tiers' homes (database files, journals, blobs, keys) except
 * the runtime's encrypted credential store. The server's table dump is in
 * packages/server/test/credentialsLeak.test.ts.
 */
const CANARY = `Zq9-c4n@ry/${randomBytes(6).toString('hex')}+="&?\\x`;

/** The value and the encodings a cell could print it in. */
function forms(value: string): Record<string, string> {
  const bytes = Buffer.from(value, 'utf8');
  return {
    plain: value,
    base64: bytes.toString('base64').replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    url: encodeURIComponent(value),
    hexLower: bytes.toString('hex'),
    hexUpper: bytes.toString('hex').toUpperCase(),
    json: JSON.stringify(value).slice(1, -1),
  };
}
const FORMS = forms(CANARY);

/** Which encodings of the canary `text` holds. */
function leaks(text: string): string[] {
  return Object.entries(FORMS).flatMap(([name, f]) => (text.includes(f) ? [name] : []));
}

let home: string;
let spin: SpinInstance;
const logLines: string[] = [];
const responses: string[] = [];
const realFetch = globalThis.fetch;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'spin-canary-'));
  spin = await startAll({
    ...stackOptions(home),
    logLevel: 'trace',
    logDestination: { write: (line: string) => logLines.push(line) },
  });
  // Keep the text of every HTTP response the test's clients receive: WHATWG fetch (the
  // browser's way, and the pairing helpers') and the Node API client's undici requests.
  globalThis.fetch = async (input, init) => {
    const res = await realFetch(input, init);
    responses.push(await res.clone().text());
    return res;
  };
}, 120_000);

afterAll(async () => {
  globalThis.fetch = realFetch;
  await spin?.close();
  await rm(home, { recursive: true, force: true });
});

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (entry.isFile()) yield p;
  }
}

function outputText(outputs: readonly Output[]): string {
  return outputs
    .map((o) =>
      o.output_type === 'stream'
        ? o.text
        : o.output_type === 'error'
          ? `${o.ename}: ${o.evalue}\n${o.traceback.join('\n')}`
          : JSON.stringify(o.data),
    )
    .join('');
}

describe('a canary secret over the whole product', () => {
  it('is used by Python and shell cells and leaks nowhere, in any encoding', async () => {
    const api = new ServerApi({
      baseUrl: spin.url,
      manageCookies: true,
      fetch: async (url, init) => {
        const res = await nodeFetch(url, init);
        responses.push(await res.text());
        return res;
      },
    });
    await api.signup(ADMIN);
    const nb = await api.createNotebook({ title: 'canary', cells: [] });
    const secret = await api.http.request(
      'POST',
      `/api/v1/workspaces/${nb.workspaceId}/secrets`,
      SecretSchema,
      { name: 'CANARY', ref: { storeType: 'spin_store' }, value: CANARY },
    );
    expect(secret.value).toEqual({ set: true });
    // a connection whose secret field refers to it, read back
    const conn = await api.http.request(
      'POST',
      `/api/v1/workspaces/${nb.workspaceId}/connections`,
      ConnectionSchema,
      {
        name: 'inventory',
        processor: 'rest',
        config: { baseUrl: 'http://127.0.0.1:9', auth: 'bearer' },
        secrets: { token: '{{secret:CANARY}}' },
      },
    );
    await api.http.request('GET', `/api/v1/connections/${conn.id}`, ConnectionSchema);
    await api.http.request('GET', `/api/v1/secrets/${secret.id}`, SecretSchema);

    const [runtime] = await api.listRuntimes();
    const session = await NotebookSession.open({
      api,
      notebookId: nb.id,
      runtime: runtime!,
      WebSocket: NodeWebSocket,
    });
    const python = [
      'import base64, binascii, json, sys, urllib.parse',
      's = SpinSecrets.get_secret("CANARY")',
      'b = s.encode()',
      'print("plain", s)',
      'print("b64", base64.b64encode(b).decode())',
      'print("b64url", base64.urlsafe_b64encode(b).decode())',
      'print("url", urllib.parse.quote(s, safe=""))',
      'print("hex", binascii.hexlify(b).decode(), b.hex().upper())',
      'print("json", json.dumps(s))',
      'print(repr(s))',
      'for ch in s:',
      '    sys.stdout.write(ch); sys.stdout.flush()',
      'print()',
    ].join('\n');
    const shell = [
      'v="{{secret:CANARY}}"',
      'echo "plain $v"',
      'printf %s "$v" | base64 -w0; echo',
      'printf %s "$v" | base64 -w0 | tr "+/" "-_"; echo',
      'printf %s "$v" | od -An -tx1 | tr -d " \\n"; echo',
      'printf %s "$v" | xxd -p -u | tr -d "\\n"; echo',
      'for i in $(seq 0 $((${#v}-1))); do printf %s "${v:$i:1}"; sleep 0.01; done; echo',
    ].join('\n');
    const runs: CellRunResult[] = [];
    runs.push(await session.run({ id: 'py', type: 'python', source: python }));
    runs.push(await session.run({ id: 'sh', type: 'shell', source: shell }));
    for (const r of runs) await r.audited;
    for (const r of runs) expect(r.status, outputText(r.outputs)).toBe('ok');

    // The cells saw the real value (the masked output says so) and printed every line.
    const shown = runs.map((r) => outputText(r.outputs)).join('\n');
    expect(shown).toContain('plain [secret:CANARY]');
    expect(shown.match(/\[secret:CANARY\]/g)!.length).toBeGreaterThanOrEqual(12);
    expect(leaks(shown)).toEqual([]);

    // The compiled programs, decrypted with the runtime's own key, name the secret, not its value.
    const keys = JSON.parse(
      await readFile(path.join(home, 'runtime', 'keys', 'encryption.jwk.json'), 'utf8'),
    ) as { privateJwk: Record<string, unknown>; publicJwk: { kid: string } };
    const jwks = await api.jwks();
    for (const cell of [
      { id: 'py2', type: 'python' as const, source: python },
      { id: 'sh2', type: 'shell' as const, source: shell },
    ]) {
      const compiled = await api.compile(nb.id, { sid: session.sid, cell });
      const claims = await openProgram(compiled.envelope, {
        decryptionKey: await importKey(keys.privateJwk as never, 'ECDH-ES+A256KW'),
        decryptionKid: keys.publicJwk.kid,
        serverJwks: jwks,
        audience: runtime!.id,
        claimJti: async () => true,
      });
      expect(Object.keys(claims.credentials?.secrets ?? {})).toEqual(['CANARY']);
      expect(leaks(JSON.stringify(claims))).toEqual([]);
    }
    session.close();

    // What the API shows afterwards: the notebook, its export, the audit log.
    await api.getNotebook(nb.id);
    await api.exportIpynb(nb.id);
    await api.audit({ limit: 500 });
    const auditText = responses[responses.length - 1]!;
    expect(auditText).toContain('CANARY'); // the secret's name is audited…
    expect(leaks(responses.join('\n'))).toEqual([]); // …no response holds its value

    expect(logLines.length).toBeGreaterThan(50);
    expect(leaks(logLines.join('\n'))).toEqual([]);

    // Every file of both tiers (database, journals, blobs, keys, configuration), except the
    // runtime's encrypted credential store.
    const store = path.join(home, 'runtime', 'credentials');
    let scanned = 0;
    const leaked: string[] = [];
    for await (const file of files(home)) {
      if (file.startsWith(store + path.sep)) continue;
      if ((await stat(file)).size > 256 * 1024 * 1024) continue;
      const text = (await readFile(file)).toString('latin1');
      scanned++;
      for (const form of leaks(text)) leaked.push(`${path.relative(home, file)}: ${form}`);
    }
    expect(scanned).toBeGreaterThan(20);
    expect(leaked).toEqual([]);
  });
});
