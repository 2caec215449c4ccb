// The envelope benchmarks (BENCH_ONLY=envelope): sealProgram / openProgram per second on the
// node:crypto fast path beside jose and the node:crypto floor, interleaved; and the floor itself,
// which the path benchmark (bench/path.js) also times in its own floor.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import os from 'node:os';
import {
  generateEncryptionKey,
  generateSigningKey,
  importKey,
  openProgram,
  sealProgram,
} from '@spin/protocol';
import * as fastEnvelope from '@spin/protocol/node';

const CODE = 'x = 6 * 7';

/** Claims shaped like a compiled trivial Python cell's (the `i`th program: its own jti). */
function programClaims(i) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'http://localhost',
    aud: 'rt_bench',
    sub: 'usr_bench',
    sid: 'ses_bench',
    cell: 'c',
    jti: `bench-jti-${i}-${'x'.repeat(8)}`,
    iat: now,
    exp: now + 300,
    notebook: 'nb_bench',
    program: { kind: 'kernel', kernel: 'python3', code: CODE },
    limits: { timeoutMs: 60_000, outputBytes: 10 * 2 ** 20 },
  };
}

/** The JWS signing input (header.payload) the floor signs: as long as the real one. */
function signingInputFor(serverPublicJwk) {
  const b64 = (v) => Buffer.from(v).toString('base64url');
  const jwsHeader = { alg: 'EdDSA', kid: serverPublicJwk.kid, typ: 'spin-program+jwt' };
  return Buffer.from(`${b64(JSON.stringify(jwsHeader))}.${b64(JSON.stringify(programClaims(0)))}`);
}

/** {@link envelopeFloor} with fresh keys, for a trivial cell's program. */
export async function programEnvelopeFloor() {
  const server = await generateSigningKey();
  const runtime = await generateEncryptionKey();
  return envelopeFloor(server, runtime, signingInputFor(server.publicJwk));
}

/**
 * The envelope floor: the primitive operations a seal or an open cannot avoid, with minimal code
 * and cached KeyObjects, over bytes as long as the real envelope's (no claims, no JSON, no
 * base64url, no header checks). Seal: Ed25519 sign, X25519 keygen + agreement, Concat KDF,
 * AES-KW, AES-256-GCM; open: the reverse.
 */
export function envelopeFloor(server, runtime, payload) {
  const sk = createPrivateKey({ key: server.privateJwk, format: 'jwk' });
  const pk = createPublicKey({ key: server.publicJwk, format: 'jwk' });
  const rpub = createPublicKey({ key: runtime.publicJwk, format: 'jwk' });
  const rpriv = createPrivateKey({ key: runtime.privateJwk, format: 'jwk' });
  const kwIv = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
  const kdfInfo = Buffer.from(
    '0000000e' + Buffer.from('ECDH-ES+A256KW').toString('hex') + '000000000000000000000100',
    'hex',
  );
  const kdf = (z) =>
    createHash('sha256')
      .update(Buffer.from([0, 0, 0, 1]))
      .update(z)
      .update(kdfInfo)
      .digest();
  const aad = Buffer.from('h'.repeat(252));
  return {
    seal() {
      const sig = sign(null, payload, sk);
      const eph = generateKeyPairSync('x25519');
      const x = eph.publicKey.export({ format: 'jwk' }).x;
      const kek = kdf(diffieHellman({ privateKey: eph.privateKey, publicKey: rpub }));
      const cek = randomBytes(32);
      const w = createCipheriv('id-aes256-wrap', kek, kwIv);
      const ek = Buffer.concat([w.update(cek), w.final()]);
      const iv = randomBytes(12);
      const g = createCipheriv('aes-256-gcm', cek, iv);
      g.setAAD(aad);
      const ct = Buffer.concat([g.update(payload), g.update(sig), g.final()]);
      return { x, ek, iv, ct, tag: g.getAuthTag(), sig };
    },
    open({ x, ek, iv, ct, tag, sig }) {
      const epk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      const kek = kdf(diffieHellman({ privateKey: rpriv, publicKey: epk }));
      const u = createDecipheriv('id-aes256-wrap', kek, kwIv);
      const cek = Buffer.concat([u.update(ek), u.final()]);
      const g = createDecipheriv('aes-256-gcm', cek, iv);
      g.setAAD(aad);
      g.setAuthTag(tag);
      const pt = Buffer.concat([g.update(ct), g.final()]);
      if (!verify(null, pt.subarray(0, payload.length), pk, sig)) throw new Error('floor verify');
    },
  };
}

/**
 * Seal and open per second for the jose engine, the node:crypto fast path (@spin/protocol/node,
 * what the server and runtime use) and the floor, interleaved in small blocks within one run;
 * reports the median over 3 reps of each rep's median block, and floor/fast ratios (1 = floor).
 */
async function benchEnvelopes() {
  const server = await generateSigningKey();
  const runtime = await generateEncryptionKey();
  const signingKey = await importKey(server.privateJwk, 'EdDSA');
  const recipientKey = await importKey(runtime.publicJwk, 'ECDH-ES+A256KW');
  const decryptionKey = await importKey(runtime.privateJwk, 'ECDH-ES+A256KW');
  const claims = programClaims;
  const sealOpts = {
    signingKey,
    signingKid: server.publicJwk.kid,
    recipientKey,
    recipientKid: runtime.publicJwk.kid,
  };
  const seen = new Set();
  const openOpts = {
    decryptionKey,
    decryptionKid: runtime.publicJwk.kid,
    serverJwks: { keys: [server.publicJwk] },
    audience: 'rt_bench',
    claimJti: async (jti) => !seen.has(jti) && !!seen.add(jti),
  };
  // The floor signs and encrypts bytes as long as the real JWS signing input (header.payload).
  const floor = envelopeFloor(server, runtime, signingInputFor(server.publicJwk));
  const engines = {
    jose: { seal: (i) => sealProgram(claims(i), sealOpts), open: (t) => openProgram(t, openOpts) },
    fast: {
      seal: (i) => fastEnvelope.sealProgram(claims(i), sealOpts),
      open: (t) => fastEnvelope.openProgram(t, openOpts),
    },
    floor: { seal: async () => floor.seal(), open: async (t) => floor.open(t) },
  };
  // Small blocks, round-robin: on a shared machine load drifts within seconds, so each engine
  // must see the same drift. Each block records wall and CPU (process.cpuUsage) time per op.
  const BLOCK = Number(process.env.BENCH_ENVELOPE_BLOCK ?? 100);
  const ROUNDS = Number(process.env.BENCH_ENVELOPE_ROUNDS ?? 30);
  const REPS = 3;
  const samples = { seal: {}, open: {} };
  let serial = 0;
  for (const e of Object.values(engines)) {
    for (let i = 0; i < 50; i++) await e.open(await e.seal(serial++)); // warm-up, not measured
  }
  const block = async (op, name, run) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = ((performance.now() - t0) / BLOCK) * 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / BLOCK;
    const into = (samples[op][name] ??= { wall: [], cpu: [] });
    into.wall.push(wall);
    into.cpu.push(cpu);
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const repMedians = { seal: {}, open: {} };
  for (let rep = 0; rep < REPS; rep++) {
    for (const op of ['seal', 'open'])
      for (const name of Object.keys(engines)) samples[op][name] = undefined;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, e] of Object.entries(engines)) {
        const sealed = [];
        await block('seal', name, async () => {
          for (let i = 0; i < BLOCK; i++) sealed.push(await e.seal(serial++));
        });
        // as relayed: a token arrives as a flat string parsed from a frame
        const relayed = sealed.map((t) =>
          typeof t === 'string' ? JSON.parse(JSON.stringify(t)) : t,
        );
        await block('open', name, async () => {
          for (const t of relayed) await e.open(t);
        });
      }
    }
    for (const op of ['seal', 'open']) {
      for (const [name, { wall, cpu }] of Object.entries(samples[op])) {
        const r = (repMedians[op][name] ??= { wall: [], cpu: [] });
        r.wall.push(median(wall));
        r.cpu.push(median(cpu));
      }
    }
  }
  const summary = (op) => {
    const m = repMedians[op];
    const us = (k, kind) => median(m[k][kind]);
    const per = (k) => ({
      us_per_op: Math.round(us(k, 'wall')),
      ops_per_s: Math.round(1e6 / us(k, 'wall')),
      cpu_us_per_op: Math.round(us(k, 'cpu')),
      reps_us_per_op: m[k].wall.map(Math.round),
    });
    const ratio = (a, b, kind) => Math.round((us(b, kind) / us(a, kind)) * 1000) / 1000;
    return {
      ops_per_block: BLOCK,
      blocks_per_rep: ROUNDS,
      reps: REPS,
      ...per('fast'),
      jose: per('jose'),
      floor: per('floor'),
      fast_vs_floor: ratio('fast', 'floor', 'wall'),
      fast_vs_floor_cpu: ratio('fast', 'floor', 'cpu'),
      jose_vs_floor: ratio('jose', 'floor', 'wall'),
      load_average: os.loadavg().map((l) => Math.round(l * 100) / 100),
    };
  };
  return { seal: summary('seal'), open: summary('open') };
}

export async function envelopeResults(meta) {
  const env = await benchEnvelopes();
  const results = {};
  results.envelope_seal = {
    ...meta,
    description:
      'sealProgram on node:crypto (@spin/protocol/node; JWS EdDSA inside JWE ECDH-ES+A256KW/A256GCM), beside jose and the node:crypto floor, interleaved; fast_vs_floor = floor µs / fast µs (1 = at the floor)',
    ...env.seal,
  };
  results.envelope_open = {
    ...meta,
    description:
      'openProgram on node:crypto (decrypt, verify, claims, replay check), beside jose and the node:crypto floor, interleaved; fast_vs_floor = floor µs / fast µs (1 = at the floor)',
    ...env.open,
  };
  for (const op of ['seal', 'open']) {
    const r = env[op];
    console.log(
      `envelope ${op} µs/op: fast ${r.us_per_op}, jose ${r.jose.us_per_op}, floor ${r.floor.us_per_op}; floor/fast ${r.fast_vs_floor} (cpu ${r.fast_vs_floor_cpu})`,
    );
  }
  return results;
}
