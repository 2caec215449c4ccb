import { flushSync } from 'react-dom';

/**
 * How far outside the viewport a cell counts as "near": cells this close get their real
 * controls and CodeMirror editor before they scroll into view, so the user rarely sees the
 * static stand-in.
 */
const NEAR_MARGIN = '600px 0px';
/** Work done per task before yielding to the browser (input, paint, the heartbeat). */
const BUDGET_MS = 12;

type Wake = () => void;

/**
 * Cells are upgraded only once scrolling has paused this long: flying through a notebook
 * (the scrollbar, Ctrl+End) creates no editors for cells that are gone a frame later.
 */
const SETTLE_MS = 120;

const pending = new Map<Element, Wake>();
const waiting = new Map<Element, Wake>();
let observer: IntersectionObserver | null = null;
let scheduled = false;
let lastScroll = -Infinity;
let listening = false;

function queue(el: Element, wake: Wake) {
  pending.set(el, wake);
  if (!listening) {
    listening = true;
    const onScroll = () => void (lastScroll = performance.now());
    addEventListener('scroll', onScroll, { capture: true, passive: true });
  }
  schedule(0);
}

function schedule(ms: number) {
  if (scheduled) return;
  scheduled = true;
  setTimeout(drain, ms);
}

/**
 * Upgrade near cells a few at a time: each wake renders synchronously (`flushSync`), so the
 * time measured here is the real cost and one long frame never holds a screenful of editors.
 */
function drain() {
  scheduled = false;
  const start = performance.now();
  const settling = lastScroll + SETTLE_MS - start;
  if (settling > 0) return schedule(settling);
  for (const [el, wake] of pending) {
    pending.delete(el);
    waiting.delete(el);
    observer?.unobserve(el);
    flushSync(wake);
    if (performance.now() - start > BUDGET_MS) break;
  }
  if (pending.size > 0) schedule(0);
}

function intersections(entries: IntersectionObserverEntry[]) {
  for (const e of entries) {
    const wake = waiting.get(e.target);
    if (!wake) continue;
    // A cell scrolled past before its turn stays static: no work for what nobody saw.
    if (e.isIntersecting) queue(e.target, wake);
    else pending.delete(e.target);
  }
}

/** `contentvisibilityautostatechange` (Chromium 124+): the browser's own relevance signal. */
const hasVisibilityEvent =
  typeof HTMLElement !== 'undefined' &&
  'oncontentvisibilityautostatechange' in HTMLElement.prototype;

interface VisibilityStateEvent extends Event {
  skipped: boolean;
}

/**
 * Call `wake` once, soon after `el` comes near the viewport, in a task shared with other
 * cells under a time budget. When `el` has `content-visibility: auto` (say so), the browser's
 * own relevance tracking says when (it is "relevant" about half a viewport before it shows),
 * so a long notebook adds no observer of its own; elsewhere an IntersectionObserver with
 * {@link NEAR_MARGIN} does. Returns a disposer (unmount, or the cell was upgraded another way,
 * e.g. it was focused). Without either (jsdom), `wake` runs at once.
 */
export function whenNearViewport(
  el: HTMLElement,
  wake: Wake,
  { contentVisibilityAuto = false } = {},
): () => void {
  const forget = () => {
    waiting.delete(el);
    pending.delete(el);
  };
  if (hasVisibilityEvent && contentVisibilityAuto) {
    const onChange = (e: Event) => {
      if ((e as VisibilityStateEvent).skipped) pending.delete(el);
      else queue(el, wake);
    };
    waiting.set(el, wake);
    el.addEventListener('contentvisibilityautostatechange', onChange);
    return () => {
      forget();
      el.removeEventListener('contentvisibilityautostatechange', onChange);
    };
  }
  if (typeof IntersectionObserver === 'undefined') {
    wake();
    return () => {};
  }
  observer ??= new IntersectionObserver(intersections, { rootMargin: NEAR_MARGIN });
  waiting.set(el, wake);
  observer.observe(el);
  return () => {
    forget();
    observer?.unobserve(el);
  };
}
