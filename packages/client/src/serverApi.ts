import { z } from 'zod';
import {
  AccessTokenResponseSchema,
  ApiTokenListSchema,
  ApiTokenSchema,
  CreatedApiTokenSchema,
  type CreateApiTokenRequest,
  AuditEntrySchema,
  AuditVerifyResponseSchema,
  AuthStateSchema,
  CompileResponseSchema,
  ConnectionSchema,
  ConnectionSummarySchema,
  CredentialBundleResponseSchema,
  SecretSchema,
  type AuditFilterQuery,
  type CreateConnectionRequestSchema,
  type CreateSecretRequestSchema,
  type UpdateConnectionRequestSchema,
  type UpdateSecretRequestSchema,
  ExecSessionSchema,
  SessionRecordSchema,
  SessionTimelineSchema,
  IPYNB_MEDIA_TYPE,
  JwksSchema,
  NotebookSchema,
  NotebookSummarySchema,
  NotebookPageSchema,
  type NotebookSearchQuery,
  PairGrantResponseSchema,
  PendingReceiptsResponseSchema,
  RepairRuntimeResponseSchema,
  RuntimeSchema,
  ServerInfoSchema,
  SessionInfoSchema,
  SubmitReceiptResponseSchema,
  WorkspaceDetailSchema,
  type CellInput,
  type InputValues,
  type CreateWorkspaceRequest,
  type UpdateWorkspaceRequest,
  type NotebookSettings,
  type TimeRange,
  type Jwks,
  type Output,
  type RuntimeIdentity,
} from '@spin/protocol';
import { HttpClient, type HttpClientOptions } from './httpClient.js';
import { MembersApi } from './membersApi.js';
import { jsonBlobInSlices } from './slicedJson.js';

const OkSchema = z.unknown();

type CreateConnectionRequest = z.input<typeof CreateConnectionRequestSchema>;
type UpdateConnectionRequest = z.input<typeof UpdateConnectionRequestSchema>;
type CreateSecretRequest = z.input<typeof CreateSecretRequestSchema>;
type UpdateSecretRequest = z.input<typeof UpdateSecretRequestSchema>;

/** Typed client for the server's REST API (`/api/v1`, DESIGN.md §5). */
export class ServerApi {
  readonly http: HttpClient;
  /** Workspace members and invitations. */
  readonly members: MembersApi;

  constructor(opts: HttpClientOptions) {
    this.http = new HttpClient(opts);
    this.members = new MembersApi(this.http);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  // ---- auth
  authState() {
    return this.http.request('GET', '/api/v1/auth/state', AuthStateSchema);
  }
  async signup(body: { email: string; password: string; name: string }) {
    const info = await this.http.request('POST', '/api/v1/auth/signup', SessionInfoSchema, body);
    this.http.csrfToken = info.csrfToken;
    return info;
  }
  async login(body: { email: string; password: string }) {
    const info = await this.http.request('POST', '/api/v1/auth/login', SessionInfoSchema, body);
    this.http.csrfToken = info.csrfToken;
    return info;
  }
  async me() {
    const info = await this.http.request('GET', '/api/v1/auth/me', SessionInfoSchema);
    this.http.csrfToken = info.csrfToken;
    return info;
  }
  async logout() {
    await this.http.request('POST', '/api/v1/auth/logout', OkSchema, {});
    this.http.csrfToken = null;
  }

  // ---- workspaces & notebooks
  /** Every workspace the caller reaches (inherited ones too), with role and allowed actions. */
  listWorkspaces() {
    return this.http.request('GET', '/api/v1/workspaces', z.array(WorkspaceDetailSchema));
  }
  createWorkspace(body: CreateWorkspaceRequest) {
    return this.http.request('POST', '/api/v1/workspaces', WorkspaceDetailSchema, body);
  }
  /** Change settings: name, description, parent, default runtime, session retention. */
  updateWorkspace(id: string, body: UpdateWorkspaceRequest) {
    const path = `/api/v1/workspaces/${encodeURIComponent(id)}`;
    return this.http.request('PATCH', path, WorkspaceDetailSchema, body);
  }
  /** Archive (read-only afterwards) or, with `false`, unarchive. */
  archiveWorkspace(id: string, archived = true) {
    const path = `/api/v1/workspaces/${encodeURIComponent(id)}/archive`;
    return this.http.request(archived ? 'POST' : 'DELETE', path, WorkspaceDetailSchema);
  }
  /** Delete (org admins): notebooks and runtimes go with it; the audit trail stays. */
  deleteWorkspace(id: string) {
    const path = `/api/v1/workspaces/${encodeURIComponent(id)}`;
    return this.http.request('DELETE', path, z.object({ deleted: z.string() }));
  }
  listNotebooks(workspaceId?: string) {
    const q = workspaceId ? `?workspaceId=${encodeURIComponent(workspaceId)}` : '';
    return this.http.request('GET', `/api/v1/notebooks${q}`, z.array(NotebookSummarySchema));
  }
  createNotebook(body: {
    title: string;
    workspaceId?: string;
    cells?: CellInput[];
    settings?: NotebookSettings;
  }) {
    return this.http.request('POST', '/api/v1/notebooks', NotebookSchema, body);
  }
  /** One workspace's notebooks matching `q` (title or any cell's source) and `tag`, a page. */
  searchNotebooks(workspaceId: string, query: Partial<NotebookSearchQuery> = {}) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    return this.http.request(
      'GET',
      `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/notebooks${qs}`,
      NotebookPageSchema,
    );
  }
  /** Replace a notebook's tags (labels for finding it; not a new version). */
  setNotebookTags(id: string, tags: string[]) {
    return this.http.request(
      'PUT',
      `/api/v1/notebooks/${encodeURIComponent(id)}/tags`,
      NotebookSchema,
      { tags },
    );
  }
  getNotebook(id: string) {
    return this.http.request('GET', `/api/v1/notebooks/${encodeURIComponent(id)}`, NotebookSchema);
  }
  updateNotebook(
    id: string,
    body: { title?: string; cells?: CellInput[]; settings?: NotebookSettings; version?: number },
  ) {
    return this.http.request(
      'PUT',
      `/api/v1/notebooks/${encodeURIComponent(id)}`,
      NotebookSchema,
      body,
    );
  }

  /** Import a Jupyter notebook file (its text, sent unparsed) into a workspace. */
  importIpynb(workspaceId: string, fileText: string, title?: string) {
    const q = title ? `?title=${encodeURIComponent(title)}` : '';
    return this.http.requestJsonText(
      'POST',
      `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/notebooks/import${q}`,
      NotebookSchema,
      fileText,
    );
  }
  /** A notebook as a Jupyter notebook file (nbformat 4.5 text). */
  exportIpynb(id: string) {
    return this.http.getText(
      `/api/v1/notebooks/${encodeURIComponent(id)}/export.ipynb`,
      IPYNB_MEDIA_TYPE,
    );
  }

  // ---- runtimes
  /** Runtimes the caller may see; with `workspaceId`, those a notebook there can run on. */
  listRuntimes(workspaceId?: string) {
    const q = workspaceId ? `?workspaceId=${encodeURIComponent(workspaceId)}` : '';
    return this.http.request('GET', `/api/v1/runtimes${q}`, z.array(RuntimeSchema));
  }
  registerRuntime(body: {
    name: string;
    url: string;
    identity: RuntimeIdentity;
    workspaceId?: string;
  }) {
    return this.http.request('POST', '/api/v1/runtimes', RuntimeSchema, body);
  }
  /** Replace a registered runtime's keys/URL; `expectedFingerprint` is the one shown to the user. */
  repairRuntime(
    id: string,
    body: { expectedFingerprint: string; identity: RuntimeIdentity; url?: string; name?: string },
  ) {
    return this.http.request(
      'POST',
      `/api/v1/runtimes/${encodeURIComponent(id)}/repair`,
      RepairRuntimeResponseSchema,
      body,
    );
  }
  /** A short-lived grant that lets an already paired runtime be paired again. */
  pairGrant(
    id: string,
    body: { allowedOrigins: string[]; server?: { issuer: string; jwks: Jwks } },
  ) {
    return this.http.request(
      'POST',
      `/api/v1/runtimes/${encodeURIComponent(id)}/pair-grant`,
      PairGrantResponseSchema,
      body,
    );
  }
  /**
   * The runtime's sealed credential bundle, unless `have` (the version the runtime reported) is
   * current (`bundle: null`). Opaque to the client: sealed to the runtime, signed by the server.
   */
  runtimeCredentials(id: string, have: number) {
    return this.http.request(
      'GET',
      `/api/v1/runtimes/${encodeURIComponent(id)}/credentials?have=${have}`,
      CredentialBundleResponseSchema,
    );
  }
  serverInfo() {
    return this.http.request('GET', '/api/v1/server', ServerInfoSchema);
  }
  jwks() {
    return this.http.request('GET', '/.well-known/jwks.json', JwksSchema);
  }

  // ---- execution path (DESIGN.md §1)
  createSession(body: { notebookId: string; runtimeId: string }) {
    return this.http.request('POST', '/api/v1/sessions', ExecSessionSchema, body);
  }
  /** The session record: owner, owner epoch, participants. */
  sessionRecord(sid: string) {
    return this.http.request(
      'GET',
      `/api/v1/sessions/${encodeURIComponent(sid)}`,
      SessionRecordSchema,
    );
  }
  /** Hand the session to another member who may run cells (owner or workspace owner only). */
  handOff(sid: string, to: string) {
    return this.http.request(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(sid)}/handoff`,
      SessionRecordSchema,
      { to },
    );
  }
  /** Ask the session's owner for the session (one pending request per requester). */
  requestOwnership(sid: string) {
    return this.http.request(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(sid)}/ownership-requests`,
      SessionRecordSchema,
      {},
    );
  }
  /** Accept (hand the session to its requester) or decline a request for the session. */
  answerOwnershipRequest(sid: string, requestId: string, answer: 'accept' | 'decline') {
    return this.http.request(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(sid)}/ownership-requests/${encodeURIComponent(requestId)}/${answer}`,
      SessionRecordSchema,
      {},
    );
  }
  /** Every run of the session: who, when, status, duration, runtime (issue 9). */
  sessionTimeline(sid: string) {
    return this.http.request(
      'GET',
      `/api/v1/sessions/${encodeURIComponent(sid)}/timeline`,
      SessionTimelineSchema,
    );
  }
  accessToken(sid: string) {
    return this.http.request(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(sid)}/token`,
      AccessTokenResponseSchema,
      {},
    );
  }
  compile(
    notebookId: string,
    body: { sid: string; cell: CellInput; timeRange?: TimeRange; templateValues?: InputValues },
  ) {
    return this.http.request(
      'POST',
      `/api/v1/notebooks/${encodeURIComponent(notebookId)}/compile`,
      CompileResponseSchema,
      body,
    );
  }
  /** Compile the notebook's `code_python` template variable `name` for session `sid`. */
  compileVariable(notebookId: string, name: string, body: { sid: string }) {
    return this.http.request(
      'POST',
      `/api/v1/notebooks/${encodeURIComponent(notebookId)}/variables/${encodeURIComponent(name)}/compile`,
      CompileResponseSchema,
      body,
    );
  }
  /** Of these programs of a session, those whose receipt the server has not recorded yet. */
  pendingReceipts(sid: string, jtis: string[]) {
    return this.http.request(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(sid)}/pending-receipts`,
      PendingReceiptsResponseSchema,
      { jtis },
    );
  }
  /**
   * Post a receipt with the outputs it commits to. The body is written in slices between
   * frames (slicedJson.ts): a 100,000-row result serialised at once held the page for 70–230 ms.
   */
  async submitReceipt(body: { receipt: string; outputs: Output[] }) {
    return this.http.requestJsonText(
      'POST',
      '/api/v1/receipts',
      SubmitReceiptResponseSchema,
      await jsonBlobInSlices(body),
    );
  }

  // ---- audit
  async audit(params: { limit?: number; after?: number } = {}) {
    const q = new URLSearchParams();
    if (params.limit !== undefined) q.set('limit', String(params.limit));
    if (params.after !== undefined) q.set('after', String(params.after));
    const qs = q.size > 0 ? `?${q}` : '';
    const res = await this.http.request(
      'GET',
      `/api/v1/audit${qs}`,
      z.object({ entries: z.array(AuditEntrySchema) }),
    );
    return res.entries;
  }
  /** One page of audit entries matching `filter` (oldest first; page on with the last `seq`). */
  async listAudit(filter: AuditFilterQuery & { limit?: number; after?: number } = {}) {
    const res = await this.http.request(
      'GET',
      `/api/v1/audit${auditQuery(filter)}`,
      z.object({ entries: z.array(AuditEntrySchema) }),
    );
    return res.entries;
  }
  /** Address of the NDJSON export of the entries matching `filter` (a download link). */
  auditExportUrl(filter: AuditFilterQuery = {}): string {
    return `${this.http.baseUrl}/api/v1/audit/export${auditQuery(filter)}`;
  }
  verifyAudit() {
    return this.http.request('GET', '/api/v1/audit/verify', AuditVerifyResponseSchema);
  }

  // ---- connections & secrets (write-only values are never returned)
  /** Connections usable in a workspace (its own and inherited): names and types. */
  listConnections(workspaceId: string, processor?: string) {
    const q = processor ? `?processor=${encodeURIComponent(processor)}` : '';
    return this.http.request(
      'GET',
      `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/connections${q}`,
      z.array(ConnectionSummarySchema),
    );
  }
  createConnection(workspaceId: string, body: Omit<CreateConnectionRequest, 'workspaceId'>) {
    return this.http.request(
      'POST',
      `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/connections`,
      ConnectionSchema,
      body,
    );
  }
  /** A connection with its config; write-only fields only say whether they are set. */
  getConnection(id: string) {
    const path = `/api/v1/connections/${encodeURIComponent(id)}`;
    return this.http.request('GET', path, ConnectionSchema);
  }
  /** Change a connection: given write-only fields replace, `null` clears, absent keep theirs. */
  updateConnection(id: string, body: UpdateConnectionRequest) {
    const path = `/api/v1/connections/${encodeURIComponent(id)}`;
    return this.http.request('PATCH', path, ConnectionSchema, body);
  }
  deleteConnection(id: string) {
    const path = `/api/v1/connections/${encodeURIComponent(id)}`;
    return this.http.request('DELETE', path, z.object({ deleted: z.literal(true) }));
  }
  /** Compile the connection's health check for session `sid` (relay it to the runtime). */
  testConnection(id: string, sid: string) {
    const path = `/api/v1/connections/${encodeURIComponent(id)}/test`;
    return this.http.request('POST', path, CompileResponseSchema, { sid });
  }
  /** Secrets usable in a workspace (its own and inherited), without values. */
  listSecrets(workspaceId: string) {
    const path = `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/secrets`;
    return this.http.request('GET', path, z.array(SecretSchema));
  }
  createSecret(workspaceId: string, body: Omit<CreateSecretRequest, 'workspaceId'>) {
    const path = `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/secrets`;
    return this.http.request('POST', path, SecretSchema, body);
  }
  getSecret(id: string) {
    return this.http.request('GET', `/api/v1/secrets/${encodeURIComponent(id)}`, SecretSchema);
  }
  updateSecret(id: string, body: UpdateSecretRequest) {
    const path = `/api/v1/secrets/${encodeURIComponent(id)}`;
    return this.http.request('PATCH', path, SecretSchema, body);
  }
  deleteSecret(id: string) {
    const path = `/api/v1/secrets/${encodeURIComponent(id)}`;
    return this.http.request('DELETE', path, z.object({ deleted: z.literal(true) }));
  }

  // ---- API tokens
  listTokens() {
    return this.http.request('GET', '/api/v1/tokens', ApiTokenListSchema);
  }
  /** Create a token; the answer's `secret` is shown this once and never again. */
  createToken(body: CreateApiTokenRequest) {
    return this.http.request('POST', '/api/v1/tokens', CreatedApiTokenSchema, body);
  }
  revokeToken(id: string) {
    return this.http.request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`, ApiTokenSchema);
  }
}

/** The query string of the audit filters (empty ones left out). */
function auditQuery(filter: AuditFilterQuery & { limit?: number; after?: number }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  return q.size > 0 ? `?${q}` : '';
}
