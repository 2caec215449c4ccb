/** @spin/protocol — wire types, schemas and envelope crypto shared by every SPIN tier. */
export * from './errors.js';
export * from './canonicalJson.js';
export * from './outputs.js';
export * from './frames.js';
export * from './timeRange.js';
export * from './templates.js';
export * from './cellResult.js';
export * from './cells.js';
export * from './program.js';
export * from './keys.js';
export * from './envelope.js';
export * from './accessToken.js';
export * from './journal.js';
export * from './receipt.js';
export * from './runtimeWs.js';
export * from './api.js';
export * from './processors/index.js';
export * from './terminalText.js';
export * from './blobs.js';
export * from './notebookSettings.js';
export * from './templateVariables.js';
export * from './strings.js';
export * from './jsonDepth.js';
export * from './pairingGrant.js';
export * from './credentials.js';
export * from './members.js';
export * from './password.js';

export * from './workspaces.js';
export * from './ipynb.js';
export * from './notebookOps.js';
export * from './auditQuery.js';
export * from './apiTokens.js';
export * from './openapiParts.js';

/** Version of the SPIN protocol and packages. */
export const SPIN_VERSION = '0.1.0';
