import { z } from 'zod';
import { JwksSchema, PublicJwkSchema } from './keys.js';
import { JournalEventSchema } from './journal.js';
import { SessionPermissionSchema } from './accessToken.js';
import { ResourceIdSchema, StorableStringSchema } from './strings.js';

/** WebSocket subprotocol of the runtime (`GET /v1/ws`). */
export const RUNTIME_SUBPROTOCOL = 'spin.runtime.v1';

/** Close codes the runtime uses (4000–4999 are application codes, RFC 6455 §7.4.2). */
export const WS_CLOSE = {
  /** The access token expired while connected: reconnect with a fresh one (retryable). */
  tokenExpired: 4001,
  unauthenticated: 4401,
  forbidden: 4403,
  helloTimeout: 4408,
  protocolError: 4400,
  shuttingDown: 4503,
} as const;

const requestId = z.string().min(1).max(128);

/** Jupyter kernel execution states as the runtime reports them (`dead`: the process is gone). */
export const KernelStateSchema = z.enum(['starting', 'idle', 'busy', 'dead']);
export type KernelState = z.infer<typeof KernelStateSchema>;

/**
 * Why a kernel died: `signal` (killed by one; SIGKILL from outside is most often the kernel
 * OOM killer, so `oom`), `exited` (it exited on its own), `heartbeat` (it stopped answering its
 * heartbeat and the runtime killed it), `timeout` (it ignored an interrupt and was killed).
 */
export const KernelDeathSchema = z.object({
  /** `culled`: shut down by the runtime after idling with no client attached. */
  reason: z.enum(['exited', 'signal', 'oom', 'heartbeat', 'timeout', 'culled']),
  exitCode: z.number().int().nullable(),
  signal: z.string().max(32).nullable(),
  /** One sentence for people: what happened and what to do. */
  message: z.string().max(1000),
});
export type KernelDeath = z.infer<typeof KernelDeathSchema>;

/** client → runtime */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  /** First message: authenticate with a server-minted access token. */
  z.object({ type: z.literal('hello'), token: z.string().min(1).max(8192) }),
  /** Replay journal events with seq > lastSeq, then stream live ones. */
  z.object({ type: z.literal('attach'), lastSeq: z.number().int().nonnegative().default(0) }),
  /** Run a sealed program (compact JWE from the server). */
  z.object({ type: z.literal('execute'), requestId, envelope: z.string().min(1).max(4_000_000) }),
  z.object({ type: z.literal('interrupt'), requestId }),
  /**
   * Ask the session's kernel for completions, documentation or whether code is complete
   * (Jupyter's complete/inspect/is_complete requests; needs `execute`). `cursorPos` counts
   * unicode code points, as Jupyter's does. Answered by `kernel_reply` with the same requestId.
   */
  z.object({
    type: z.literal('kernel_request'),
    requestId,
    request: z.enum(['complete', 'inspect', 'is_complete']),
    code: z.string().max(1_000_000),
    cursorPos: z.number().int().nonnegative().optional(),
    detailLevel: z.union([z.literal(0), z.literal(1)]).optional(),
  }),
  /** Restart the session's kernel (needs `interrupt`): its state is lost; also after it died. */
  z.object({ type: z.literal('restart'), requestId }),
  /**
   * Answer the kernel's `input_request` of run `jti` (`input()` / `getpass()`). Only a socket
   * of the user who ran the cell, with `execute`, may answer.
   */
  z.object({
    type: z.literal('input_reply'),
    requestId: requestId.optional(),
    jti: z.string().min(1).max(128),
    value: z.string().max(1_000_000),
  }),
  z.object({ type: z.literal('ping'), requestId: requestId.optional() }),
  /**
   * Hand the runtime its sealed credential bundle (credentials.ts), fetched from the server when
   * the runtime's `credentialsVersion` is older than the one a program needs.
   */
  z.object({
    type: z.literal('credentials'),
    requestId,
    bundle: z.string().min(1).max(16_000_000),
  }),
  /**
   * Replace the socket's access token before it expires (same `sid` and `sub`, `ownerEpoch`
   * not lower). Answered by `refreshed` or an `error`; without it, delivery stops at `exp`.
   */
  z.object({
    type: z.literal('refresh'),
    requestId: requestId.optional(),
    token: z.string().min(1).max(8192),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** runtime → client */
export const RuntimeMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    runtimeId: z.string(),
    sid: z.string(),
    sub: z.string(),
    perms: z.array(SessionPermissionSchema),
    headSeq: z.number().int().nonnegative(),
    /** When the token expires (seconds since epoch): refresh before, or delivery stops. */
    exp: z.number().int().optional(),
    /** Version of the credential bundle the runtime holds (0: none). */
    credentialsVersion: z.number().int().nonnegative().optional(),
    /** The session's owner (user id) and owner epoch as the runtime knows them. */
    owner: z.string().nullable().optional(),
    ownerEpoch: z.number().int().nonnegative().optional(),
  }),
  /**
   * The session changed owner (a handoff at the server reached the runtime): sent to every
   * attached client. Tokens of older epochs keep watching and running but lose owner rights.
   */
  z.object({
    type: z.literal('session_owner'),
    owner: z.string().nullable(),
    ownerEpoch: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('attached'),
    fromSeq: z.number().int().nonnegative(),
    headSeq: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('event'), event: JournalEventSchema }),
  z.object({ type: z.literal('accepted'), requestId, jti: z.string(), cell: z.string() }),
  z.object({ type: z.literal('interrupted'), requestId }),
  /** The kernel's reply `content` to a `kernel_request` (Jupyter's *_reply content as sent). */
  z.object({
    type: z.literal('kernel_reply'),
    requestId,
    content: z.record(z.string(), z.unknown()),
  }),
  /** The kernel was restarted (a `kernel_status` with `idle` follows once it is ready). */
  z.object({ type: z.literal('restarted'), requestId }),
  /**
   * The session's kernel changed state; sent to every attached client, and to each new one on
   * attach. `dead` carries the cause and `restartable: true` (send `restart`).
   */
  z.object({
    type: z.literal('kernel_status'),
    state: KernelStateSchema,
    kernel: z.string().max(128).nullable(),
    cause: KernelDeathSchema.optional(),
    restartable: z.boolean().optional(),
  }),
  /**
   * The kernel asks for a line of input for run `jti` (sent to the sockets of the user who ran
   * it). `password`: hide what is typed; the answer is never journaled or logged.
   */
  z.object({
    type: z.literal('input_request'),
    jti: z.string(),
    cell: z.string(),
    prompt: z.string(),
    password: z.boolean(),
  }),
  /**
   * The bundle was verified and stored. One not newer than the held version is refused with
   * `credentials.stale_bundle` (the runtime already has that version or a newer one).
   */
  z.object({
    type: z.literal('credentials_ack'),
    requestId,
    version: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('error'),
    requestId: requestId.optional(),
    code: z.string(),
    message: z.string(),
  }),
  z.object({ type: z.literal('pong'), requestId: requestId.optional() }),
  /** The socket now runs on the refreshed token, which expires at `exp` (seconds since epoch). */
  z.object({
    type: z.literal('refreshed'),
    requestId: requestId.optional(),
    exp: z.number().int(),
  }),
]);
export type RuntimeMessage = z.infer<typeof RuntimeMessageSchema>;

/** A runtime key fingerprint as runtimes print it: `SHA256:` + 16 hex pairs. */
export const FingerprintSchema = z
  .string()
  .regex(/^SHA256:([0-9a-f]{2}:){15}[0-9a-f]{2}$/, 'fingerprints look like SHA256:1f:2e:…');

/**
 * How a runtime isolates user code from SPIN's own state: `mode` is what runs (`bwrap`,
 * `user`, `none`, or `unavailable` when user code is refused), `ok` is true when cells cannot
 * see the runtime's keys, tokens and other sessions, `warning` says what an operator should do.
 */
export const RuntimeSandboxSchema = z.object({
  mode: z.enum(['bwrap', 'user', 'none', 'unavailable']),
  ok: z.boolean(),
  warning: z.string().optional(),
});
export type RuntimeSandbox = z.infer<typeof RuntimeSandboxSchema>;

/**
 * A Jupyter kernel a runtime can start, as it announces it. No filesystem paths: the identity is
 * public, and interpreter paths stay in the runtime's own terminal.
 */
export const RuntimeKernelSchema = z.object({
  name: z.string().min(1).max(128),
  displayName: z.string().max(256),
  language: z.string().max(64),
});
export type RuntimeKernel = z.infer<typeof RuntimeKernelSchema>;

/** `GET /v1/identity` — public, unauthenticated. */
export const RuntimeIdentitySchema = z.object({
  runtimeId: ResourceIdSchema,
  version: StorableStringSchema.max(64),
  fingerprint: FingerprintSchema,
  keys: z.object({ signing: PublicJwkSchema, encryption: PublicJwkSchema }),
  paired: z.boolean(),
  sandbox: RuntimeSandboxSchema.optional(),

  /** Installed kernelspecs (absent from runtimes that predate kernel discovery). */
  kernels: z.array(RuntimeKernelSchema).max(256).optional(),
});
export type RuntimeIdentity = z.infer<typeof RuntimeIdentitySchema>;

/**
 * `POST /v1/pair` body (authorised by `Authorization: Bearer <SPIN_TOKEN>`). A runtime that is
 * already paired also needs `grant`: a pairing grant from the server it is paired with (see
 * pairingGrant.ts).
 */
export const PairRequestSchema = z.object({
  server: z.object({ issuer: StorableStringSchema.min(1).max(512), jwks: JwksSchema }),
  allowedOrigins: z.array(StorableStringSchema.url().max(512)).max(32).default([]),
  grant: z.string().min(1).max(8192).optional(),
});
export type PairRequest = z.infer<typeof PairRequestSchema>;
