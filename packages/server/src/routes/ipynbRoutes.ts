import {
  IPYNB_MEDIA_TYPE,
  NotebookSchema,
  NotebookTitleSchema,
  ResourceIdSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });

/**
 * .ipynb import and export (nbformat 4.5). The import body is the notebook file itself; the
 * service validates it whole (`notebook.ipynb_invalid`, `notebook.ipynb_version_unsupported`),
 * while size (`request.too_large`), JSON syntax (`request.malformed_json`) and nesting
 * (`request.too_deep`) are refused by the body parser before it.
 */
export const ipynbRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, ipynb } = services;

  app.post(
    '/workspaces/:id/notebooks/import',
    {
      schema: {
        ...describeRoute({
          operationId: 'importNotebook',
          summary: 'Import a Jupyter notebook (.ipynb, nbformat 4)',
          description:
            'The body is the .ipynb file. Outputs, attachments and metadata SPIN does not use ' +
            'are kept, so an export gives them back.',
          tags: ['notebooks'],
          errors: [
            ...refusals('workspace', 'write'),
            'notebook.ipynb_invalid',
            'notebook.ipynb_version_unsupported',
          ],
        }),
        params: IdParams,
        querystring: z.object({ title: NotebookTitleSchema.optional() }),
        body: z.unknown().describe('the .ipynb file, nbformat 4.x JSON'),
        response: {
          201: NotebookSchema,
        },
      },
    },
    async (request, reply) => {
      const grant = await authorize(actorOf(request), 'notebook.create', {
        type: 'workspace',
        id: request.params.id,
      });
      const created = await ipynb.import(
        grant,
        grant.workspaceId,
        request.body,
        request.query.title,
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/notebooks/:id/export.ipynb',
    {
      schema: {
        ...describeRoute({
          operationId: 'exportNotebook',
          summary: 'Export a notebook as a Jupyter notebook (.ipynb, nbformat 4.5)',
          tags: ['notebooks'],
          errors: refusals('notebook'),
          success: {
            status: 200,
            description: 'The .ipynb file (nbformat 4.5 JSON), as an attachment',
            contentType: IPYNB_MEDIA_TYPE,
            schema: { type: 'object', additionalProperties: true },
            headers: {
              'content-disposition': {
                description: '`attachment; filename="<title>.ipynb"`',
                schema: { type: 'string' },
              },
            },
          },
        }),
        params: IdParams,
      },
    },
    async (request, reply) => {
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'notebook',
        id: request.params.id,
      });
      const file = await ipynb.export(grant.notebook.id);
      return reply
        .type(IPYNB_MEDIA_TYPE)
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .send(file.text);
    },
  );
};
