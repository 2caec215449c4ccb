/** @spin/protocol/node — Node-only fast paths (node:crypto); never imported by browser code. */
export * from './fastEnvelope.js';
export * from './outputsDigest.js';
