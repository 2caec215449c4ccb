import {
  AuthStateSchema,
  ChangePasswordRequestSchema,
  LoginRequestSchema,
  SESSION_COOKIE,
  SessionInfoSchema,
  SignupRequestSchema,
  SpinError,
} from '@spin/protocol';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { NewSession } from '../services/authService.js';
import type { RouteContext } from './routeContext.js';
import { setSessionCookie as setCookie } from './sessionCookie.js';

/** Auth routes: state, signup (first user), login, logout, me. */
export const authRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services, config },
) => {
  const secure = config.publicUrl.startsWith('https:');
  const setSessionCookie = (reply: FastifyReply, session: NewSession) =>
    setCookie(reply, session, secure);
  const tags = ['auth'];

  app.get('/auth/state', { schema: { tags, response: { 200: AuthStateSchema } } }, async () => ({
    signupOpen: !(await services.auth.hasAnyUser()),
    ...(services.oidc
      ? { sso: { label: services.oidc.label, loginUrl: '/api/v1/auth/oidc/login' } }
      : {}),
  }));

  app.post(
    '/auth/signup',
    { schema: { tags, body: SignupRequestSchema, response: { 200: SessionInfoSchema } } },
    async (request, reply) => {
      const session = await services.auth.signup(request.body, request.ip);
      setSessionCookie(reply, session);
      return session.info;
    },
  );

  app.post(
    '/auth/login',
    { schema: { tags, body: LoginRequestSchema, response: { 200: SessionInfoSchema } } },
    async (request, reply) => {
      const session = await services.auth.login(request.body, request.ip);
      setSessionCookie(reply, session);
      return session.info;
    },
  );

  app.post(
    '/auth/password',
    {
      schema: {
        tags,
        body: ChangePasswordRequestSchema,
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      if (!request.session) throw new SpinError('auth.unauthenticated', 'sign in first');
      await services.auth.changePassword(request.session, request.body);
      return { ok: true as const };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, response: { 200: z.object({ ok: z.literal(true) }) } } },
    async (request, reply) => {
      if (request.session) await services.auth.logout(request.session);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
  );

  app.get(
    '/auth/me',
    { schema: { tags, response: { 200: SessionInfoSchema } } },
    async (request) => {
      if (!request.session) throw new SpinError('auth.unauthenticated', 'sign in first');
      return services.auth.me(request.session);
    },
  );
};
