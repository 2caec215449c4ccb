import { z } from 'zod';
import { JwksSchema, PublicJwkSchema } from './keys.js';
import { JournalEventSchema } from './journal.js';
import { SessionPermissionSchema } from './accessToken.js';

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

/** client → runtime */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  /** First message: authenticate with a server-minted access token. */
  z.object({ type: z.literal('hello'), token: z.string().min(1).max(8192) }),
  /** Replay journal events with seq > lastSeq, then stream live ones. */
  z.object({ type: z.literal('attach'), lastSeq: z.number().int().nonnegative().default(0) }),
  /** Run a sealed program (compact JWE from the server). */
  z.object({ type: z.literal('execute'), requestId, envelope: z.string().min(1).max(4_000_000) }),
  z.object({ type: z.literal('interrupt'), requestId }),
  z.object({ type: z.literal('ping'), requestId: requestId.optional() }),
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
  }),
  z.object({
    type: z.literal('attached'),
    fromSeq: z.number().int().nonnegative(),
    headSeq: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('event'), event: JournalEventSchema }),
  z.object({ type: z.literal('accepted'), requestId, jti: z.string(), cell: z.string() }),
  z.object({ type: z.literal('interrupted'), requestId }),
  z.object({
    type: z.literal('error'),
    requestId: requestId.optional(),
    code: z.string(),
    message: z.string(),
  }),
  z.object({ type: z.literal('pong'), requestId: requestId.optional() }),
]);
export type RuntimeMessage = z.infer<typeof RuntimeMessageSchema>;

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
  runtimeId: z.string().min(1).max(128),
  version: z.string(),
  fingerprint: z.string(),
  keys: z.object({ signing: PublicJwkSchema, encryption: PublicJwkSchema }),
  paired: z.boolean(),
  /** Installed kernelspecs (absent from runtimes that predate kernel discovery). */
  kernels: z.array(RuntimeKernelSchema).max(256).optional(),
});
export type RuntimeIdentity = z.infer<typeof RuntimeIdentitySchema>;

/** `POST /v1/pair` body (authorised by `Authorization: Bearer <SPIN_TOKEN>`). */
export const PairRequestSchema = z.object({
  server: z.object({ issuer: z.string().min(1).max(512), jwks: JwksSchema }),
  allowedOrigins: z.array(z.string().url().max(512)).max(32).default([]),
});
export type PairRequest = z.infer<typeof PairRequestSchema>;
