import { createHash, randomBytes } from 'node:crypto';
import { SpinError, type WorkspaceRole } from '@spin/protocol';
import * as oidc from 'openid-client';
import type { OidcConfig, OidcMappedRole } from '../config.js';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import { oidcLoginsRepository } from '../repositories/oidcLoginsRepository.js';
import { userIdentitiesRepository } from '../repositories/userIdentitiesRepository.js';
import { usersRepository, type UserRow } from '../repositories/usersRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import { lesserRole } from '../policies/tokenScope.js';
import type { AuditService } from './auditService.js';
import type { AuthService, NewSession } from './authService.js';

/** How long a started sign-on may take before its state is forgotten. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;
/**
 * `password_hash` of users who only sign in through the IdP: not a scrypt hash, so no password
 * ever matches it (the `!` of a locked /etc/shadow entry).
 */
export const NO_PASSWORD = '!sso';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A started sign-on: where to send the browser, and the value of its login cookie. */
export interface StartedLogin {
  authorizationUrl: string;
  cookieValue: string;
  expiresAt: Date;
}

/** The higher of two mapped workspace roles. */
function higher(a: WorkspaceRole | null, b: WorkspaceRole): WorkspaceRole {
  return a === null || lesserRole(a, b) === a ? b : a;
}

/** The roles the user's IdP groups map to: org admin or not, and the best workspace role. */
function mappedRoles(
  groups: readonly string[],
  map: Readonly<Record<string, OidcMappedRole>>,
): { admin: boolean; workspaceRole: WorkspaceRole | null } {
  let admin = false;
  let workspaceRole: WorkspaceRole | null = null;
  for (const group of groups) {
    const role = map[group];
    if (role === 'admin') admin = true;
    else if (role) workspaceRole = higher(workspaceRole, role);
  }
  return { admin, workspaceRole };
}

/**
 * Map what openid-client throws to a stable code: the provider refusing the code (replayed,
 * expired, wrong PKCE verifier) → `sso.code_rejected`; a response we could not reach →
 * `sso.provider_unavailable`; anything failing validation of the ID token (signature, issuer,
 * audience, nonce, expiry) → `sso.id_token_invalid`.
 */
function normaliseOidcError(err: unknown): SpinError {
  if (err instanceof SpinError) return err;
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
    return new SpinError('sso.code_rejected', `the identity provider refused: ${err.error}`);
  }
  const code = (err as { code?: string }).code;
  if (
    (err instanceof TypeError && err.message === 'fetch failed') ||
    code === 'OAUTH_TIMEOUT' ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM'
  ) {
    return new SpinError('sso.provider_unavailable', 'the identity provider did not answer');
  }
  return new SpinError('sso.id_token_invalid', 'the identity provider response failed validation');
}

/**
 * OpenID Connect sign-on (authorization code + PKCE, state and nonce) with openid-client. The
 * ID token's signature is verified against the issuer's JWKS even though it arrives from the
 * token endpoint (`enableNonRepudiationChecks`), so a forged token is refused however it got
 * onto the wire.
 */
export class OidcService {
  private discovered: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
    private readonly config: OidcConfig,
  ) {}

  /** The button the sign-in page shows. */
  get label(): string {
    return this.config.label;
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= (async () => {
      const issuer = new URL(this.config.issuer);
      // Plain HTTP only to a loopback IdP (development, tests); anything else must be HTTPS.
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      const configuration = await oidc.discovery(
        issuer,
        this.config.clientId,
        this.config.clientSecret,
        undefined,
        loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
      );
      oidc.enableNonRepudiationChecks(configuration);
      return configuration;
    })().catch((err: unknown) => {
      this.discovered = null; // try again on the next sign-on
      throw normaliseOidcError(err);
    });
    return this.discovered;
  }

  /** Start a sign-on: remember state, nonce and PKCE verifier under a fresh cookie value. */
  async start(returnTo: string): Promise<StartedLogin> {
    const configuration = await this.configuration();
    const cookieValue = randomBytes(32).toString('base64url');
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const expiresAt = new Date(Date.now() + OIDC_LOGIN_TTL_MS);
    await oidcLoginsRepository.deleteExpired(this.db, new Date());
    await oidcLoginsRepository.insert(this.db, {
      id: sha256(cookieValue),
      state,
      nonce,
      codeVerifier,
      returnTo,
      expiresAt,
    });
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.redirectUrl,
      scope: this.config.scopes,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, cookieValue, expiresAt };
  }

  /**
   * Finish a sign-on at the redirect URL: the login cookie must name a pending login whose
   * state matches; the code is exchanged (with the PKCE verifier) and the ID token verified
   * (signature, issuer, audience, nonce). Then the user is found or created, group roles
   * applied and a session opened. Failures are audited and create no user or session.
   */
  async finish(
    cookieValue: string | undefined,
    query: URLSearchParams,
  ): Promise<{ session: NewSession; returnTo: string }> {
    try {
      const login = cookieValue
        ? await oidcLoginsRepository.take(this.db, sha256(cookieValue))
        : null;
      if (!login || login.expiresAt <= new Date()) {
        throw new SpinError(
          'sso.state_mismatch',
          'no sign-on in progress in this browser; start again',
        );
      }
      if (query.get('state') !== login.state) {
        throw new SpinError(
          'sso.state_mismatch',
          'the state returned by the identity provider does not match',
        );
      }
      const configuration = await this.configuration();
      // The redirect URL as registered (not as this request's Host header says), plus the
      // parameters the IdP sent: openid-client derives the token request's redirect_uri from it.
      const callbackUrl = new URL(this.config.redirectUrl);
      callbackUrl.search = query.toString();
      const tokens = await oidc
        .authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: login.codeVerifier,
          expectedState: login.state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        })
        .catch((err: unknown) => {
          throw normaliseOidcError(err);
        });
      const idClaims = tokens.claims();
      if (!idClaims) throw new SpinError('sso.id_token_invalid', 'no ID token was returned');
      const info = await oidc
        .fetchUserInfo(configuration, tokens.access_token, idClaims.sub)
        .catch((err: unknown) => {
          throw normaliseOidcError(err);
        });
      const claims: Record<string, unknown> = { ...info, ...idClaims };
      const user = await this.provision(configuration.serverMetadata().issuer, claims);
      return { session: await this.auth.openSession(user), returnTo: login.returnTo };
    } catch (err) {
      const spin = normaliseOidcError(err);
      await this.audit.append({
        actor: null,
        action: 'auth.login_failed',
        subject: null,
        data: { method: 'oidc', code: spin.code },
      });
      throw spin;
    }
  }

  /** Find the user the IdP names (or link / create them) and apply the group mapping. */
  private async provision(issuer: string, claims: Record<string, unknown>): Promise<UserRow> {
    const subject = String(claims.sub);
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    if (!email) throw new SpinError('sso.email_missing', 'the identity provider sent no email');
    const rawGroups = claims[this.config.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g) => typeof g === 'string') : [];
    const { admin, workspaceRole } = mappedRoles(groups, this.config.groupRoles);
    const name = typeof claims.name === 'string' && claims.name ? claims.name : email;

    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      let user = await userIdentitiesRepository.findUser(tx, issuer, subject);
      let created = false;
      if (!user) {
        const existing = await usersRepository.findByEmail(tx, email);
        if (existing && claims.email_verified !== true) {
          // Linking on an unverified address would let anyone who can set that address at the
          // IdP take over the local account.
          throw new SpinError(
            'sso.email_missing',
            'the identity provider has not verified this email',
          );
        }
        user =
          existing ??
          (await usersRepository.insert(tx, {
            id: newId('usr'),
            email,
            name,
            passwordHash: NO_PASSWORD,
            orgRole: 'member',
          }));
        created = !existing;
        await userIdentitiesRepository.insert(tx, { issuer, subject, userId: user.id });
      }
      if (admin && user.orgRole !== 'admin')
        user = await usersRepository.setOrgRole(tx, user.id, 'admin');
      const workspace = workspaceRole ? await workspacesRepository.oldest(tx) : null;
      if (workspace && workspaceRole) {
        await workspacesRepository.setMember(tx, workspace.id, user.id, workspaceRole);
      }
      await this.audit.append(
        {
          actor: user.id,
          action: 'auth.login',
          subject: user.id,
          data: {
            method: 'oidc',
            issuer,
            created,
            orgRole: user.orgRole,
            ...(workspace ? { workspaceId: workspace.id, role: workspaceRole } : {}),
          },
        },
        tx,
      );
      return user;
    });
  }
}
