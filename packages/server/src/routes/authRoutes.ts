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
import { describeRoute } from '../openapi/describeRoute.js';
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

  app.get(
    '/auth/state',
    {
      schema: {
        ...describeRoute({
          operationId: 'getAuthState',
          summary: 'Whether sign-up is open and how to sign in (password, SSO)',
          tags: ['auth'],
          auth: 'none',
          errors: [],
        }),
        response: { 200: AuthStateSchema },
      },
    },
    async (request) => ({
      signupOpen: !(await services.auth.hasAnyUser()),
      ...(services.oidc
        ? { sso: { label: services.oidc.label, loginUrl: '/api/v1/auth/oidc/login' } }
        : {}),
      ...(request.session ? { signedIn: true as const } : {}),
    }),
  );

  app.post(
    '/auth/signup',
    {
      schema: {
        ...describeRoute({
          operationId: 'signUp',
          summary: 'Create the first account (the organisation’s admin) and sign in',
          description: 'Open only while no user exists; later people join by invitation.',
          tags: ['auth'],
          auth: 'none',
          errors: ['auth.signup_closed', 'auth.rate_limited'],
        }),
        body: SignupRequestSchema,
        response: { 200: SessionInfoSchema },
      },
    },
    async (request, reply) => {
      const session = await services.auth.signup(request.body, request.ip);
      setSessionCookie(reply, session);
      return session.info;
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        ...describeRoute({
          operationId: 'logIn',
          summary: 'Sign in with email and password',
          description: 'Sets the session cookie; the answer carries the CSRF token.',
          tags: ['auth'],
          auth: 'none',
          errors: ['auth.invalid_credentials', 'auth.rate_limited'],
        }),
        body: LoginRequestSchema,
        response: { 200: SessionInfoSchema },
      },
    },
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
        ...describeRoute({
          operationId: 'changePassword',
          summary: 'Change the signed-in user’s password',
          description: 'Needs the session cookie: an API token cannot change a password.',
          tags: ['auth'],
          auth: 'session',
          errors: ['auth.invalid_credentials', 'auth.rate_limited'],
        }),
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
    {
      schema: {
        ...describeRoute({
          operationId: 'logOut',
          summary: 'Sign out: end the session and clear its cookie',
          tags: ['auth'],
          auth: 'optional',
          errors: [],
        }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      if (request.session) await services.auth.logout(request.session);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        ...describeRoute({
          operationId: 'getMe',
          summary: 'The signed-in user and the session’s CSRF token',
          description: 'Needs the session cookie.',
          tags: ['auth'],
          auth: 'session',
          errors: [],
        }),
        response: { 200: SessionInfoSchema },
      },
    },
    async (request) => {
      if (!request.session) throw new SpinError('auth.unauthenticated', 'sign in first');
      return services.auth.me(request.session);
    },
  );
};
