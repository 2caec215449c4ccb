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

const pending = new Map<Element, Wake>();
const waiting = new Map<Element, Wake>();
let observer: IntersectionObserver | null = null;
let scheduled = false;

function queue(el: Element, wake: Wake) {
  pending.set(el, wake);
  if (scheduled) return;
  scheduled = true;
  setTimeout(drain, 0);
}

/**
 * Upgrade near cells a few at a time: each wake renders synchronously (`flushSync`), so the
 * time measured here is the real cost and one long frame never holds a screenful of editors.
 */
function drain() {
  scheduled = false;
  const start = performance.now();
  for (const [el, wake] of pending) {
    pending.delete(el);
    waiting.delete(el);
    observer?.unobserve(el);
    flushSync(wake);
    if (performance.now() - start > BUDGET_MS) break;
  }
  if (pending.size > 0 && !scheduled) {
    scheduled = true;
    setTimeout(drain, 0);
  }
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

/**
 * Call `wake` once, soon after `el` comes within {@link NEAR_MARGIN} of the viewport, in a
 * task shared with other cells under a time budget. Returns a disposer (unmount, or the cell
 * was upgraded another way, e.g. it was focused). Without IntersectionObserver (tests in
 * jsdom), `wake` runs at once.
 */
export function whenNearViewport(el: Element, wake: Wake): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    wake();
    return () => {};
  }
  observer ??= new IntersectionObserver(intersections, { rootMargin: NEAR_MARGIN });
  waiting.set(el, wake);
  observer.observe(el);
  return () => {
    waiting.delete(el);
    pending.delete(el);
    observer?.unobserve(el);
  };
}
