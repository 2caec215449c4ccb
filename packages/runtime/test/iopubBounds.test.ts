import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelClient } from '../src/kernels/kernelClient.js';
import { STREAM_FLUSH_CHARS } from '../src/kernels/iopubBounds.js';
import { findKernelSpec } from '../src/kernels/kernelspec.js';

describe('bounded iopub stream messages (real ipykernel)', () => {
  let dir: string;
  let kernel: KernelClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spin-iopub-'));
    kernel = new KernelClient({ dir: join(dir, 'k') });
    await kernel.start(findKernelSpec('python3'));
  });
  afterAll(async () => {
    await kernel.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  async function streamed(code: string) {
    const sizes: number[] = [];
    let text = '';
    const reply = await kernel.execute(code, (o) => {
      if (o.msgType !== 'stream') return;
      const t = String(o.content.text);
      sizes.push(t.length);
      text += t;
    });
    expect(reply.status).toBe('ok');
    return { sizes, text };
  }

  it('cuts 1 MB prints into messages of about 1 MiB, losing and reordering nothing', async () => {
    const { sizes, text } = await streamed('for i in range(40):\n    print(str(i % 10) * 999_999)');
    // ipykernel alone sends all 40 MB buffered between two 0.2 s flushes as one message
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2 * STREAM_FLUSH_CHARS);
    expect(sizes.length).toBeGreaterThanOrEqual(20);
    const lines = text.split('\n');
    expect(lines).toHaveLength(41);
    expect(lines.slice(0, 40).every((l, i) => l === String(i % 10).repeat(999_999))).toBe(true);
  });

  it('cuts one 5 MB write too, and leaves small prints, stderr and the namespace alone', async () => {
    const big = await streamed('import sys\nsys.stdout.write("y" * 5_000_000)');
    expect(Math.max(...big.sizes)).toBeLessThanOrEqual(STREAM_FLUSH_CHARS);
    expect(big.text).toBe('y'.repeat(5_000_000));
    const small = await streamed('print("a")\nprint("b")');
    expect(small.text).toBe('a\nb\n');
    const names = await streamed('print([n for n in dir() if "spin" in n])');
    expect(names.text).toBe('[]\n');
  });

  it("makes the kernel's iopub socket queue instead of dropping (send HWM unlimited)", async () => {
    // ZeroMQ PUB drops what it cannot queue; ipykernel's default send HWM is 1000 messages
    const { text } = await streamed(
      'import zmq\nprint(get_ipython().kernel.iopub_thread.socket.getsockopt(zmq.SNDHWM))',
    );
    expect(text).toBe('0\n');
  });
});
