import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  outputsFromEvents,
  verifyReceipt,
  type JournalEvent,
  type RuntimeMessage,
} from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

type KernelStatus = Extract<RuntimeMessage, { type: 'kernel_status' }>;

function ended(events: JournalEvent[]) {
  const last = events[events.length - 1];
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

function text(events: JournalEvent[]): string {
  return events.map((e) => (e.type === 'stream' ? e.data.text : '')).join('');
}

/** The live kernel of session `sid` (its process: the sandbox wrapper's when sandboxed). */
function liveKernel(h: Harness, sid = 'ses_1') {
  const k = h.rt.kernels.list().filter((x) => x.sid === sid && x.alive);
  expect(k).toHaveLength(1);
  return k[0]!;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `code` and waits until its first stdout chunk arrived (the kernel is inside it). */
async function startRunning(h: Harness, c: TestClient, code: string): Promise<string> {
  const r = await c.execute(await h.server.python(code));
  if (r.type !== 'accepted') throw new Error(JSON.stringify(r));
  await c.next((m) => m.type === 'event' && m.event.jti === r.jti && m.event.type === 'stream');
  return r.jti;
}

async function endOf(c: TestClient, jti: string): Promise<JournalEvent[]> {
  await c.next((m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended');
  return c.events().filter((e) => e.jti === jti);
}

// Both interrupt modes: the sandbox interrupts by message (bubblewrap owns the process tree),
// a kernel without sandbox gets SIGINT on its process group, as its kernelspec says.
describe.each([
  { mode: 'message (sandboxed kernel)', sandbox: undefined },
  { mode: 'signal (kernelspec default)', sandbox: 'none' as const },
])('interrupt by $mode', ({ sandbox }) => {
  let h: Harness;
  let c: TestClient;
  beforeAll(async () => {
    h = await startPaired(sandbox ? { sandbox } : {});
    c = await TestClient.session(h.rt.url, await h.server.token());
  });
  afterAll(async () => {
    c.close();
    await h.close();
  });

  it('stops `while True: pass` with KeyboardInterrupt and keeps the kernel and its state', async () => {
    await c.run(await h.server.python('kept = "still here"'));
    const pid = liveKernel(h).pid;
    const jti = await startRunning(h, c, 'print("spinning", flush=True)\nwhile True: pass');
    c.send({ type: 'interrupt', requestId: 'i1' });
    await c.next((m) => m.type === 'interrupted' && m.requestId === 'i1');
    const events = await endOf(c, jti);
    expect(ended(events).status).toBe('interrupted');
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.ename).toBe('KeyboardInterrupt');
    const after = await c.run(await h.server.python('print(kept)'));
    expect(text(after)).toBe('still here\n');
    expect(liveKernel(h).pid).toBe(pid); // the same kernel process, not a replacement
  });
});

describe('kernel restart, death and heartbeat (real ipykernel)', () => {
  let h: Harness;
  let a: TestClient;
  let b: TestClient;
  beforeAll(async () => {
    h = await startPaired({ kernelHeartbeatMs: 200 });
    a = await TestClient.session(h.rt.url, await h.server.token());
    b = await TestClient.session(h.rt.url, await h.server.token({ sub: 'usr_2' }));
  });
  afterAll(async () => {
    a.close();
    b.close();
    await h.close();
  });

  it('pushes busy and idle to every attached client', async () => {
    const before = b.messages.length;
    await a.run(await h.server.python('import time; time.sleep(0.2)'));
    const states = () =>
      b.messages.slice(before).flatMap((m) => (m.type === 'kernel_status' ? [m.state] : []));
    // cell_ended leaves with the kernel's last message of the run; the kernel may go busy once
    // more right after (its own bookkeeping), so wait for it to settle idle
    await expect.poll(() => states().at(-1), { timeout: 5000 }).toBe('idle');
    expect(states()).toContain('busy');
  });

  it('restart clears the kernel state', async () => {
    await a.run(await h.server.python('x = 41'));
    const oldPid = liveKernel(h).pid;
    const before = b.messages.length;
    a.send({ type: 'restart', requestId: 'rs1' });
    await a.next((m) => m.type === 'restarted' && m.requestId === 'rs1');
    await b.next((m) => m.type === 'kernel_status' && m.state === 'starting', before);
    await b.next((m) => m.type === 'kernel_status' && m.state === 'idle', before);
    expect(liveKernel(h).pid).not.toBe(oldPid);
    expect(isAlive(oldPid!)).toBe(false);
    const events = await a.run(await h.server.python('print(x)'));
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.ename).toBe('NameError');
  });

  it('refuses restart to a token without interrupt, and the kernel lives on', async () => {
    await a.run(await h.server.python('y = 7'));
    const pid = liveKernel(h).pid;
    const viewer = await TestClient.session(
      h.rt.url,
      await h.server.token({ sub: 'usr_3', perms: ['view'] }),
    );
    viewer.send({ type: 'restart', requestId: 'rv' });
    const reply = await viewer.next((m) => m.type === 'error' && m.requestId === 'rv');
    expect(reply).toMatchObject({ code: 'runtime.permission_required' });
    viewer.close();
    expect(liveKernel(h).pid).toBe(pid);
    expect(text(await a.run(await h.server.python('print(y)')))).toBe('7\n');
  });

  it('reports a SIGKILLed kernel to every client with its cause, ends the run, restarts', async () => {
    const { pid } = liveKernel(h);
    const jti = await startRunning(
      h,
      a,
      'import time\nprint("working", flush=True)\ntime.sleep(30)',
    );
    const seen = [a.messages.length, b.messages.length];
    process.kill(pid!, 'SIGKILL');
    const dead = (c: TestClient, i: number) =>
      c.next<KernelStatus>((m) => m.type === 'kernel_status' && m.state === 'dead', seen[i]);
    for (const status of [await dead(a, 0), await dead(b, 1)]) {
      expect(status).toMatchObject({
        kernel: 'python3',
        restartable: true,
        cause: { reason: 'oom', signal: 'SIGKILL' },
      });
      expect(status.cause?.message).toContain('likely out of memory');
    }
    // the run in flight ends with a clear error and a receipt signed over exactly that
    const events = await endOf(a, jti);
    const end = ended(events);
    expect(end.status).toBe('error');
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.ename).toBe('KernelDied');
    expect(err?.type === 'error' && err.data.evalue).toContain('SIGKILL');
    const claims = await verifyReceipt(
      end.receipt,
      h.rt.identity.keys.signing,
      outputsFromEvents(events),
    );
    expect(claims).toMatchObject({ status: 'error', jti });

    // the offered restart works on the dead kernel
    a.send({ type: 'restart', requestId: 'rs2' });
    await a.next((m) => m.type === 'restarted' && m.requestId === 'rs2');
    expect(text(await a.run(await h.server.python('print("back")')))).toBe('back\n');
  });

  it('tells a client that attaches later that the kernel is dead and why', async () => {
    const { pid } = liveKernel(h);
    process.kill(pid!, 'SIGKILL');
    await a.next((m) => m.type === 'kernel_status' && m.state === 'dead', a.messages.length);
    const late = await TestClient.session(h.rt.url, await h.server.token({ sub: 'usr_4' }));
    const status = await late.next<KernelStatus>((m) => m.type === 'kernel_status');
    expect(status).toMatchObject({ state: 'dead', cause: { signal: 'SIGKILL' } });
    late.close();
  });

  it('kills a kernel whose heartbeat stops (a stopped process) and says so', async () => {
    await a.run(await h.server.python('print(1)')); // a fresh kernel (the last one was killed)
    const { pid } = liveKernel(h);
    const seen = b.messages.length;
    process.kill(-pid!, 'SIGSTOP'); // the whole group: wrapper and kernel stop answering
    const status = await b.next<KernelStatus>(
      (m) => m.type === 'kernel_status' && m.state === 'dead',
      seen,
    );
    expect(status.cause).toMatchObject({ reason: 'heartbeat' });
    expect(status.cause?.message).toContain('heartbeat');
    for (let i = 0; i < 50 && isAlive(pid!); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid!)).toBe(false);
  });
});
