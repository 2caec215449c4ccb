import type { KernelSpec } from './kernelspec.js';

/**
 * How much one kernel's iopub output may occupy in the runtime process. Two things make it
 * unbounded by default, and the runtime bounds both (issue 8, acceptance 4: a 200 MB cell
 * grows the runtime's RSS by less than 150 MB):
 *
 * 1. Message size. ipykernel (6.x) sends whatever a stream buffered between two flushes as ONE
 *    iopub message, and flushes on a 0.2 s timer only: `print()` of 1 MB lines in a loop sends
 *    200 MB as a single message, which libzmq, the Buffer and every string made from it hold
 *    at once. {@link IPYKERNEL_BOUNDED_STREAMS} makes the kernel flush once
 *    {@link STREAM_FLUSH_CHARS} are buffered (a longer write is cut into that many characters
 *    first), so no stream message is much larger. Small writes still wait for the timer, so
 *    line-by-line output is batched as before.
 * 2. Backlog. libzmq reads ahead into a socket's queue up to its receive high-water mark
 *    (1000 messages by default: gigabytes of 1 MiB messages) whenever the kernel prints faster
 *    than the runtime journals. A small {@link IOPUB_RECEIVE_HWM} makes libzmq stop reading
 *    instead, so the backlog waits in the kernel's own send queue (its memory, under the
 *    sandbox's limits), not in the runtime's.
 *
 * That queue must not be bounded: ZeroMQ PUB sockets never block, they DROP every message
 * sent while the pipe to a subscriber is full (zmq_socket(3), ZMQ_PUB, "mute state"), and
 * ipykernel leaves its iopub socket at the default send HWM of 1000 messages. A cell printing
 * line by line with `flush=True` sends one message per line; whenever the runtime (or either
 * process's libzmq I/O thread, on a loaded machine) fell 1000 messages behind, lines were lost
 * for good — measured on 100,000 flushed prints: 0.9–10 % missing, as gaps in the kernel's
 * msg_id counter, with any receive HWM (8, 1000 or unlimited). {@link IPYKERNEL_BOUNDED_STREAMS}
 * therefore also sets the kernel's iopub send HWM to unlimited and reports it with
 * {@link IOPUB_QUEUES_MARKER}. An ipykernel kernel that does not confirm it, and every other
 * kernel, gets an unlimited receive HWM instead (drained by the runtime's libzmq I/O thread
 * whatever its event loop does): memory before loss.
 */
export const STREAM_FLUSH_CHARS = 1 << 20;

/**
 * Messages the runtime's iopub socket queues before it stops reading, for a kernel whose own
 * iopub queue is unbounded (see above); other kernels get 0 (unlimited).
 */
export const IOPUB_RECEIVE_HWM = 8;

/** What the setup code prints once the kernel's iopub socket queues instead of dropping. */
export const IOPUB_QUEUES_MARKER = 'spin:iopub-queues';

/**
 * Python run silently in every ipykernel kernel once it is ready: wraps `write` of the
 * kernel's stdout/stderr `OutStream`s to flush at {@link STREAM_FLUSH_CHARS}, and makes the
 * kernel's iopub PUB socket queue without limit instead of dropping (set in ipykernel's IOPub
 * thread, the only one that uses that socket: ZeroMQ sockets are not thread-safe), then prints
 * {@link IOPUB_QUEUES_MARKER}. It touches only ipykernel's own streams and IOPub thread (a
 * kernel without them, or whose `OutStream` lacks the buffer this relies on, is left as it
 * is) and leaves no names in the user's namespace.
 */
export const IPYKERNEL_BOUNDED_STREAMS = [
  'def _spin_bound_streams(limit):',
  '    import sys',
  '    try:',
  '        from ipykernel.iostream import OutStream',
  '    except Exception:',
  '        return',
  '    for stream in (sys.stdout, sys.stderr):',
  '        if not isinstance(stream, OutStream) or not hasattr(stream, "_buffer"):',
  '            continue',
  '        if getattr(stream, "_spin_bounded", False):',
  '            continue',
  '        def bounded(s, write=stream.write, stream=stream):',
  '            if not isinstance(s, str) or len(s) <= limit:',
  '                n = write(s)',
  '                if stream._buffer.tell() >= limit:',
  '                    stream.flush()',
  '                return n',
  '            n = 0',
  '            for i in range(0, len(s), limit):',
  '                n += write(s[i:i + limit]) or 0',
  '                if stream._buffer.tell() >= limit:',
  '                    stream.flush()',
  '            return n',
  '        stream.write = bounded',
  '        stream._spin_bounded = True',
  `_spin_bound_streams(${STREAM_FLUSH_CHARS})`,
  'del _spin_bound_streams',
  'def _spin_queue_iopub():',
  '    import threading',
  '    try:',
  '        import zmq',
  '        from ipykernel.iostream import IOPubThread',
  '    except Exception:',
  '        return False',
  '    thread = getattr(getattr(get_ipython(), "kernel", None), "iopub_thread", None)',
  '    if not isinstance(thread, IOPubThread) or thread.socket is None:',
  '        return False',
  '    done = threading.Event()',
  '    result = []',
  '    def unbounded():',
  '        try:',
  '            thread.socket.setsockopt(zmq.SNDHWM, 0)',
  '            result.append(thread.socket.getsockopt(zmq.SNDHWM) == 0)',
  '        finally:',
  '            done.set()',
  '    thread.schedule(unbounded)',
  '    return done.wait(10) and result == [True]',
  'if _spin_queue_iopub():',
  `    print(${JSON.stringify(IOPUB_QUEUES_MARKER)})`,
  'del _spin_queue_iopub',
].join('\n');

/** The code to run silently in a freshly started kernel of `spec`, if any. */
export function kernelSetupCode(spec: KernelSpec): string | null {
  const ipykernel = spec.argv.some((a) => /ipykernel/.test(a));
  return spec.language.toLowerCase() === 'python' && ipykernel ? IPYKERNEL_BOUNDED_STREAMS : null;
}
