import { SpinError } from '@spin/protocol';
import { GENERATED_FACTORIES } from './registry.generated.js';
import type {
  ProcessorConnection,
  ProcessorFactory,
  ProcessorHost,
  ProcessorInstance,
} from './types.js';

/** Every processor implementation of this build, by manifest id (from the processor folders). */
export const PROCESSOR_FACTORIES: Readonly<Record<string, ProcessorFactory>> = Object.freeze(
  Object.fromEntries(GENERATED_FACTORIES.map((f) => [f.manifest.id, f])),
);

/**
 * Maps manifest ids to factories and caches one instance per (processor, connection); an
 * instance is rebuilt when its connection changes (DESIGN.md §3).
 */
export class ProcessorRegistry {
  private readonly instances = new Map<
    string,
    { fingerprint: string; instance: ProcessorInstance }
  >();

  constructor(
    private readonly host: ProcessorHost,
    private readonly factories: Readonly<Record<string, ProcessorFactory>> = PROCESSOR_FACTORIES,
  ) {}

  /** The factory for `id`, or a `processor.not_found` SpinError. */
  factory(id: string): ProcessorFactory {
    const f = Object.hasOwn(this.factories, id) ? this.factories[id] : undefined;
    if (!f) throw new SpinError('processor.not_found', `no processor "${id}" on this runtime`);
    return f;
  }

  /** A cached instance for the processor and connection. */
  get(id: string, connection: ProcessorConnection | null): ProcessorInstance {
    const factory = this.factory(id);
    const key = `${id}\u0000${connection?.name ?? ''}`;
    const fingerprint = JSON.stringify(connection);
    const cached = this.instances.get(key);
    if (cached && cached.fingerprint === fingerprint) return cached.instance;
    if (cached) void cached.instance.dispose();
    const instance = factory.create(connection, this.host);
    this.instances.set(key, { fingerprint, instance });
    return instance;
  }

  async dispose(): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => i.instance.dispose()));
  }
}
