import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { renderTemplate, templateRefs, templateText } from '../../templates.js';
import { defineProcessor } from '../manifest.js';

/**
 * A Kubernetes connection: the API server, its CA, a bearer token (a service account's) and
 * the default namespace — what a kubeconfig's cluster, user and context hold.
 */
export const KubernetesConfigSchema = z.object({
  server: z.url({ protocol: /^https?$/ }).meta({
    title: 'API server',
    description: 'e.g. https://10.0.0.1:6443 (a kubeconfig cluster.server)',
  }),
  caCert: z
    .string()
    .max(65_536)
    .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
    .optional()
    .meta({
      title: 'CA certificate (PEM)',
      description: "The cluster's CA (kubeconfig certificate-authority-data, decoded)",
    }),
  insecureSkipTlsVerify: z.boolean().default(false).meta({
    title: 'Skip TLS verification',
    description: 'Never for production clusters',
  }),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .max(63)
    .default('default')
    .meta({ title: 'Default namespace' }),
});
export type KubernetesConfig = z.infer<typeof KubernetesConfigSchema>;

/** Write-only fields of a Kubernetes connection. */
export const KubernetesSecretsSchema = z.object({
  token: z
    .string()
    .max(16_384)
    .optional()
    .meta({ title: 'Bearer token', description: 'A service account token (read-only RBAC)' }),
});
export type KubernetesSecrets = z.infer<typeof KubernetesSecretsSchema>;

/** Resources a `get` lists, by kubectl's names and short names. */
export const KUBERNETES_RESOURCES = {
  pods: { aliases: ['pod', 'po'], group: '', namespaced: true },
  events: { aliases: ['event', 'ev'], group: '', namespaced: true },
  services: { aliases: ['service', 'svc'], group: '', namespaced: true },
  deployments: { aliases: ['deployment', 'deploy'], group: 'apps', namespaced: true },
  nodes: { aliases: ['node', 'no'], group: '', namespaced: false },
} as const;
export type KubernetesResource = keyof typeof KUBERNETES_RESOURCES;

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SELECTOR = /^[A-Za-z0-9_.\-/=!,()\s]+$/;

/** A compiled Kubernetes read. */
export const KubernetesProgramSchema = z.discriminatedUnion('verb', [
  z.object({
    verb: z.literal('get'),
    resource: z.enum(Object.keys(KUBERNETES_RESOURCES) as [KubernetesResource]),
    /** null: the connection's default; '*': all namespaces. */
    namespace: z.string().regex(NAME).max(63).or(z.literal('*')).nullable(),
    labelSelector: z.string().regex(SELECTOR).max(4096).nullable(),
    fieldSelector: z.string().regex(SELECTOR).max(4096).nullable(),
  }),
  z.object({
    verb: z.literal('logs'),
    pod: z.string().regex(NAME).max(253),
    namespace: z.string().regex(NAME).max(63).nullable(),
    container: z.string().regex(NAME).max(63).nullable(),
    follow: z.boolean(),
    tailLines: z.number().int().min(0).max(1_000_000).nullable(),
  }),
  /** A command with template references: parsed once they are bound, at the runtime. */
  z.object({ verb: z.literal('template'), source: z.string().min(1).max(10_000) }),
]);
export type KubernetesProgram = z.infer<typeof KubernetesProgramSchema>;

function invalid(message: string): SpinError {
  return new SpinError('cell.invalid_params', message);
}

/**
 * Parse a cell's kubectl-style read: `get <resource> [-n NS | -A] [-l SELECTOR]
 * [--field-selector S]` or `logs <pod> [-n NS] [-c CONTAINER] [-f] [--tail N]`. Only reads
 * exist, so a cell cannot change the cluster.
 */
export function parseKubectl(source: string): Exclude<KubernetesProgram, { verb: 'template' }> {
  const words =
    source
      .trim()
      .replace(/^kubectl\s+/, '')
      .match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const args = words.map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
  const verb = args.shift();
  if (verb !== 'get' && verb !== 'logs') {
    throw invalid(
      `"${verb ?? ''}" is not supported: a Kubernetes cell reads with get <resource> or logs <pod>`,
    );
  }
  const target = args.shift();
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = /^(--?[\w-]+)=(.*)$/.exec(a);
    const name = eq ? eq[1]! : a;
    const takesValue = [
      '-n',
      '--namespace',
      '-l',
      '--selector',
      '--field-selector',
      '-c',
      '--container',
      '--tail',
    ];
    if (takesValue.includes(name)) {
      const v = eq ? eq[2]! : args[++i];
      if (v === undefined) throw invalid(`${name} needs a value`);
      flags.set(name, v);
    } else if (['-A', '--all-namespaces', '-f', '--follow'].includes(name)) {
      flags.set(name, true);
    } else {
      throw invalid(`unknown option ${a}`);
    }
  }
  const flag = (...names: string[]) => {
    for (const n of names) {
      const v = flags.get(n);
      if (typeof v === 'string') return v;
    }
    return null;
  };
  const namespace = flag('-n', '--namespace');
  if (namespace !== null && !NAME.test(namespace))
    throw invalid(`"${namespace}" is not a namespace name`);
  if (verb === 'get') {
    const resource = (Object.keys(KUBERNETES_RESOURCES) as KubernetesResource[]).find(
      (r) =>
        r === target ||
        (KUBERNETES_RESOURCES[r].aliases as readonly string[]).includes(target ?? ''),
    );
    if (!resource) {
      throw invalid(
        `get what? one of ${Object.keys(KUBERNETES_RESOURCES).join(', ')} (got "${target ?? ''}")`,
      );
    }
    const all = flags.has('-A') || flags.has('--all-namespaces');
    return {
      verb,
      resource,
      namespace: all ? '*' : namespace,
      labelSelector: flag('-l', '--selector'),
      fieldSelector: flag('--field-selector'),
    };
  }
  if (!target || !NAME.test(target)) throw invalid('logs needs a pod name: logs <pod> [-f]');
  const tail = flag('--tail');
  if (tail !== null && !/^\d+$/.test(tail)) throw invalid('--tail takes a number of lines');
  return {
    verb,
    pod: target,
    namespace,
    container: flag('-c', '--container'),
    follow: flags.has('-f') || flags.has('--follow'),
    tailLines: tail === null ? null : Number(tail),
  };
}

/**
 * The Kubernetes processor: read-only views over the API server's REST paths — pods, events,
 * services, deployments and nodes as tables (paged with `limit`/`continue`, events within the
 * time range), and pod logs, followed (`follow=true`) until the cell is cancelled.
 */
export const manifest = defineProcessor({
  id: 'kubernetes',
  name: 'Kubernetes',
  version: '1.0.0',
  description: 'Read a cluster: pods, events, deployments, services, nodes and pod logs (follow)',
  cellType: 'kubernetes',
  editor: {
    language: 'text/x-kubectl',
    placeholder: 'get pods -n default -l app=web · logs web-0 -f',
  },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: true,
  usesTimeRange: true,
  configSchema: KubernetesConfigSchema,
  secretsSchema: KubernetesSecretsSchema,
  paramsSchema: z.object({}),
  programSchema: KubernetesProgramSchema,
  defaults: { source: 'get pods', params: {} },
  compile: (cell) =>
    templateRefs(cell.source).length > 0
      ? { verb: 'template' as const, source: cell.source }
      : parseKubectl(cell.source),
  /**
   * A value must stay one word of a command line (a name, a namespace, a selector such as
   * app=web): spaces or quotes could add options, so they are refused.
   */
  bindTemplates(p, binder) {
    if (p.verb !== 'template') return p;
    const command = renderTemplate(p.source, (ref) => {
      const v = templateText(binder.resolve(ref));
      if (!/^[A-Za-z0-9_.=,!/:-]+$/.test(v))
        throw new SpinError(
          'template.invalid',
          `${ref.raw}: a value here must be one word, such as a name or app=web`,
        );
      return v;
    });
    try {
      return parseKubectl(command);
    } catch (err) {
      throw err instanceof SpinError ? new SpinError('template.invalid', err.message) : err;
    }
  },
});
