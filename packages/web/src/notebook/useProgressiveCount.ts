import { useCallback, useEffect, useState } from 'react';
import { flushSync } from 'react-dom';

/** Cells in the first render: a screen and more (the rest follow in later tasks). */
const FIRST = 30;
/** Cells added per task after that (each task renders and commits on its own). */
const STEP = 60;

/**
 * How many of `total` list items to render: a first screenful at once, then the rest a
 * chunk per task, so opening a 1,000-cell notebook is many short tasks instead of one long
 * one (input and paint go between them). `showAll` renders everything synchronously, for a
 * command that needs a cell not rendered yet.
 */
export function useProgressiveCount(total: number): { count: number; showAll: () => void } {
  const [count, setCount] = useState(() => (total <= FIRST ? Infinity : FIRST));
  useEffect(() => {
    if (count >= total) {
      if (count !== Infinity) setCount(Infinity); // from now on every cell renders at once
      return;
    }
    const t = setTimeout(() => flushSync(() => setCount((c) => c + STEP)), 0);
    return () => clearTimeout(t);
  }, [count, total]);
  const showAll = useCallback(() => flushSync(() => setCount(Infinity)), []);
  return { count, showAll };
}
