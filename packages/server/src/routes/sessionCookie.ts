import { SESSION_COOKIE } from '@spin/protocol';
import type { FastifyReply } from 'fastify';
import type { NewSession } from '../services/authService.js';

/**
 * Set the browser session cookie: httpOnly, SameSite=Lax, `Secure` when the public URL is
 * https. Every route that signs someone in (sign-up, login, invitation sign-up) uses this.
 */
export function setSessionCookie(reply: FastifyReply, session: NewSession, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, session.cookieToken, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    expires: session.expiresAt,
  });
}
