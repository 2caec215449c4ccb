/**
 * @spin/client — the only path between tiers (DESIGN.md §1): the server REST client, the
 * runtime WebSocket client, and the relay that carries sealed programs and receipts between
 * them. Browser-safe; Node helpers live in `@spin/client/node`.
 */
export * from './errors.js';
export * from './events.js';
export * from './httpClient.js';
export * from './serverApi.js';
export * from './membersApi.js';
export * from './runtimeSocket.js';
export * from './notebookSession.js';
export * from './cellRunView.js';
export * from './kernelCompletion.js';
export * from './pairing.js';
export * from './blobPager.js';
export { RELAYER_GRACE_MS } from './receiptPoster.js';
