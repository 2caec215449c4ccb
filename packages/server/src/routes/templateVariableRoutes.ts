import {
  CompileResponseSchema,
  CompileVariableRequestSchema,
  ResourceIdSchema,
  TemplateVariableNameSchema,
  templateVariableCellId,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

/** Notebook template variables that run at session start (`code_python`, issue 9). */
export const templateVariableRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services },
) => {
  const { authorize, compiler } = services;

  app.post(
    '/notebooks/:id/variables/:name/compile',
    {
      // every decision is the authorizer's (it confirms a cached session; requestActor.ts)
      config: { sessionCheckedByAuthorize: true },
      schema: {
        ...describeRoute({
          operationId: 'compileTemplateVariable',
          summary: "Compile a notebook's code_python template variable for a session",
          description:
            "The program runs the notebook's stored code (never code from the request) in the " +
            "session's kernel; the runtime keeps its JSON value as the session variable `{{name}}`.",
          tags: ['execution'],
          errors: [
            ...refusals('notebook', 'write'),
            'session.not_found',
            'runtime.unknown_runtime',
            'token.oneshot_spent',
            'template.unknown_variable',
            'template.invalid_value',
            'template.not_input',
            'template.missing_value',
          ],
        }),
        params: z.object({ id: ResourceIdSchema, name: TemplateVariableNameSchema }),
        body: CompileVariableRequestSchema,
        response: { 200: CompileResponseSchema },
      },
    },
    async (request) => {
      const { id, name } = request.params;
      const grant = await authorize(actorOf(request), 'notebook.run', { type: 'notebook', id });
      const cellId = templateVariableCellId(name);
      await services.apiTokens.consumeRun(grant.actor, request.body.sid, cellId);
      return compiler.compile(grant, id, {
        sid: request.body.sid,
        // The cell only labels the run (claims, receipt, audit); the code is the definition's.
        cell: { id: cellId, type: 'python', source: '' },
        variable: name,
      });
    },
  );
};
