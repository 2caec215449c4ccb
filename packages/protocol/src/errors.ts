/**
 * Stable machine-readable error codes shared by every SPIN tier.
 *
 * A code is `area.reason`; it never changes meaning once shipped. Each code maps to an HTTP
 * status (REST, runtime HTTP endpoints) and is carried verbatim in runtime WebSocket `error`
 * messages. Wire shape everywhere: `{ "error": { "code": "area.reason", "message": "…" } }`.
 */
export const ERROR_STATUS = {
  // generic request handling
  'request.invalid': 400,
  'request.malformed_json': 400,
  'request.not_found': 404,
  'request.conflict': 409,
  'request.too_large': 413,
  'request.unsupported_media_type': 415,
  'request.rate_limited': 429,
  'request.too_deep': 400,
  'request.bad_url': 400,
  'internal.error': 500,
  // authentication / authorization
  'auth.unauthenticated': 401,
  'auth.invalid_credentials': 401,
  'auth.signup_closed': 403,
  'auth.csrf_failed': 403,
  'auth.permission_required': 403,
  'auth.token_missing': 401,
  'auth.token_invalid': 401,
  'auth.token_expired': 401,
  'auth.origin_not_allowed': 403,
  'auth.client_certificate_required': 401,
  // program envelopes (DESIGN.md §1 step 5)
  'envelope.malformed': 400,
  'envelope.alg_not_allowed': 400,
  'envelope.wrong_recipient': 400,
  'envelope.decrypt_failed': 400,
  'envelope.unknown_signer': 401,
  'envelope.signature_invalid': 401,
  'envelope.audience_mismatch': 403,
  'envelope.expired': 401,
  'envelope.not_yet_valid': 401,
  'envelope.replayed': 409,
  'envelope.claims_invalid': 400,
  'envelope.compression_not_allowed': 400,
  // runtime sessions
  'runtime.not_paired': 409,
  'runtime.token_session_mismatch': 403,
  'runtime.token_subject_mismatch': 403,
  'runtime.permission_required': 403,
  'runtime.not_owner': 403,
  'runtime.kernel_failed': 500,
  'runtime.kernel_not_found': 404,
  'runtime.unknown_runtime': 404,
  'runtime.already_registered': 409,
  'runtime.fingerprint_mismatch': 409,
  'runtime.already_paired': 409,
  'runtime.pairing_grant_invalid': 403,
  'runtime.sandbox_unavailable': 503,
  'runtime.output_too_deep': 422,
  /** An `input_reply` names a run that is not waiting for input (or not this user's). */
  'runtime.no_input_pending': 409,
  /** The kernel did not answer a complete/inspect/is_complete request in time (busy). */
  'runtime.kernel_busy': 409,
  // receipts and audit
  'receipt.malformed': 400,
  'receipt.signature_invalid': 400,
  'receipt.digest_mismatch': 400,
  'receipt.unknown_program': 404,
  'receipt.duplicate': 409,
  'receipt.mismatch': 400,
  // notebooks / compile
  'notebook.not_found': 404,
  // .ipynb import (issue 7): a file that is not nbformat 4, or breaks its schema
  'notebook.ipynb_invalid': 422,
  'notebook.ipynb_version_unsupported': 422,
  // notebook operations (issue 7): cells by id, kept versions
  'notebook.cell_not_found': 404,
  'notebook.cell_exists': 409,
  'notebook.version_not_found': 404,
  'compile.unsupported_cell': 400,
  'session.not_found': 404,
  'session.not_owner': 403,
  'session.handoff_target_invalid': 400,
  // requests for a session's ownership: the owner cannot ask for it; an answer needs a live one
  'session.already_owner': 409,
  'session.request_not_found': 404,
  'session.request_stale': 409,
  // spilled output blobs (runtime GET /v1/blobs/:id)
  'blob.not_found': 404,
  'blob.range_not_satisfiable': 416,
  // cells, templates and processors (DESIGN.md §3). Processor errors end a cell; they carry
  // the status an HTTP answer about the same failure would have.
  'cell.unknown_type': 400,
  'cell.invalid_params': 400,
  'template.invalid': 400,
  'template.unknown_variable': 400,
  'template.unsupported': 400,
  'template.secret_unavailable': 400,
  'template.result_too_large': 413,
  'template.invalid_value': 400,
  'template.missing_value': 400,
  'template.not_input': 400,
  'template.no_value': 400,
  'processor.not_found': 404,
  'processor.connection_required': 400,
  'processor.invalid_params': 400,
  'processor.auth_failed': 401,
  'processor.forbidden': 403,
  // a write on a connection the database session holds read-only (SQL processors)
  'processor.read_only': 403,
  'processor.resource_not_found': 404,
  'processor.rate_limited': 429,
  'processor.bad_query': 400,
  'processor.timeout': 504,
  'processor.unavailable': 503,
  'processor.upstream_error': 502,
  // operations
  'metrics.disabled': 404,
  // connections, secrets and credential bundles (credentials.ts)
  'connection.not_found': 404,
  'connection.name_taken': 409,
  'secret.not_found': 404,
  'secret.name_taken': 409,
  'secret.unavailable': 400,
  'credentials.bundle_invalid': 400,
  'credentials.stale_bundle': 409,
  'credentials.missing': 409,
  // members and invitations (members.ts). A forged token is simply unknown (404).
  'invitation.not_found': 404,
  'invitation.used': 409,
  'invitation.expired': 410,
  'invitation.revoked': 410,
  'invitation.already_member': 409,
  'member.not_found': 404,
  'member.last_owner': 409,
  'auth.email_taken': 409,
  // auth rate limits kept in the database (login, sign-up, invitations, password, tokens)
  'auth.rate_limited': 429,

  // workspaces (workspaces.ts): archived ones are read-only; the parent chain has no cycles
  'workspace.archived': 409,
  'workspace.parent_cycle': 400,
  'workspace.has_children': 409,
  // API tokens (apiTokens.ts): refused bearer tokens say why, so an agent can tell its owner
  'token.revoked': 401,
  'token.expired': 401,
  'token.invalid': 401,
  'token.not_allowed': 403,
  'token.oneshot_spent': 403,
  'token.notebook_required': 400,
  // OpenID Connect single sign-on
  'sso.not_configured': 404,
  'sso.state_mismatch': 400,
  'sso.code_rejected': 400,
  'sso.id_token_invalid': 401,
  'sso.provider_unavailable': 502,
  'sso.email_missing': 400,
} as const;

/** Every stable error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Wire form of an error, identical on every tier. */
export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; details?: unknown };
}

/**
 * The one error type thrown across SPIN. Anything else caught at a boundary is normalised into
 * `internal.error` (see {@link toSpinError}); only `SpinError`s carry a message to the user.
 */
export class SpinError extends Error {
  override readonly name = 'SpinError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.details = details;
  }

  /** HTTP status the code maps to. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): ErrorBody {
    const body: ErrorBody = { error: { code: this.code, message: this.message } };
    if (this.details !== undefined) body.error.details = this.details;
    return body;
  }
}

/** True when `code` is one of the stable codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code);
}

/** Normalise anything thrown into a SpinError; unknown errors become `internal.error`. */
export function toSpinError(err: unknown): SpinError {
  if (err instanceof SpinError) return err;
  return new SpinError('internal.error', 'Internal error');
}
