import { memo, useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { useBlobAccess } from './blobAccess';
import { findLines, indexLines, lineAt as lineOf } from './lineIndex';
import { BlobLineCache, type SpilledStream } from './spilled';
import { VirtualLines, type LineSource } from './VirtualLines';

const fmt = (n: number) => n.toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * A stream the output budget cut, shown as one stream of all its lines: the head and the tail
 * came inline, the middle is read from the runtime's blob a page at a time as it scrolls into
 * view. While the cell runs the line count grows each second and the view follows the end
 * (fetched from the blob as it is written). Search covers the lines inline and those fetched.
 */
export const SpilledStreamView = memo(function SpilledStreamView({
  spilled,
}: {
  spilled: SpilledStream;
}) {
  const { ref } = spilled;
  const access = useBlobAccess();
  const [, bump] = useReducer((n: number) => n + 1, 0);
  // one cache per blob and way of reaching it (the runtime may become known after the outputs)
  const cache = useMemo(
    () => (access ? new BlobLineCache(access.lines(ref.id), bump) : null),
    [access, ref.id],
  );

  // Line offsets, not an array of lines: the head is up to the inline budget (4 MiB, ~300,000
  // short lines), and splitting it into strings held the page for 35–60 ms when the cut came.
  const head = useMemo(
    () => indexLines(spilled.head, ref.head.lines),
    [spilled.head, ref.head.lines],
  );
  const tail = useMemo(() => indexLines(spilled.tail), [spilled.tail]);
  const tailFrom = ref.tail && tail.length > 0 ? ref.tail.fromLine : Infinity; // 1-based
  const count = ref.lines;

  // While the blob is written its last page grows: fetch it again as the count moves on.
  const lastCount = useRef(count);
  useEffect(() => {
    if (cache && count !== lastCount.current && ref.state === 'spilling') {
      cache.dropFrom(lastCount.current);
    }
    lastCount.current = count;
  }, [cache, count, ref.state]);

  const lineAt = useCallback(
    (i: number): string | undefined => {
      const n = i + 1;
      if (n <= head.length) return lineOf(head.index, i);
      if (n >= tailFrom)
        return n - tailFrom < tail.length ? lineOf(tail.index, n - tailFrom) : undefined;
      return cache?.get(n);
    },
    [head, tail, tailFrom, cache],
  );
  const onRange = useCallback(
    (first: number, last: number) => {
      const from = Math.max(first + 1, head.length + 1);
      const to = Math.min(last + 1, tailFrom - 1, count);
      if (cache && from <= to) cache.want(from, to);
    },
    [cache, head.length, tailFrom, count],
  );
  const source = useMemo<LineSource>(
    () => ({
      count,
      lineAt,
      onRange,
      find: (query) => {
        if (!query) return [];
        const q = query.toLowerCase();
        const limit = 10_000;
        // the lines that are here: head, the pages fetched so far, tail — not a walk over all
        const out = findLines(head.index, query, limit).filter((i) => i < head.length);
        cache?.forEachLoaded(head.length + 1, Math.min(tailFrom - 1, count), (n, t) => {
          if (out.length < limit && t.toLowerCase().includes(q)) out.push(n - 1);
        });
        if (tailFrom !== Infinity) {
          for (const k of findLines(tail.index, query, limit)) {
            if (out.length < limit && k < tail.length) out.push(tailFrom - 1 + k);
          }
        }
        return out;
      },
    }),
    [count, lineAt, onRange, head, tail, tailFrom, cache],
  );

  const inline = head.length + (tailFrom === Infinity ? 0 : count - tailFrom + 1);
  const [downloading, setDownloading] = useState<string | null>(null);
  const download = async () => {
    if (!access) return;
    setDownloading('downloading…');
    try {
      const blob = await access.download(ref.id);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${ref.stream}-${ref.id}.txt`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setDownloading(null);
    } catch (err) {
      setDownloading(`download failed: ${(err as Error).message}`);
    }
  };

  const summary = (
    <span className="muted stream-spill-summary" data-testid="stream-spilled">
      <span data-testid="stream-line-count">{fmt(count)} lines</span> ·{' '}
      {ref.state === 'spilling' ? 'still running: ' : ''}
      {fmt(inline)} inline, {fmt(Math.max(0, count - inline))} from the runtime as you scroll (
      {mb(ref.bytes)}
      {ref.droppedBytes > 0
        ? `; ${mb(ref.droppedBytes)} past the runtime's limit were not kept`
        : ''}
      ){!access && ' — the middle needs a connected runtime'}
      {cache?.error && <span role="alert"> — could not load lines: {cache.error}</span>}
      {access && ref.state === 'complete' && (
        <>
          {' '}
          <button type="button" onClick={download} data-testid="stream-download">
            Download
          </button>
          {downloading && <span aria-live="polite"> {downloading}</span>}
        </>
      )}
    </span>
  );
  return (
    <VirtualLines
      name={ref.stream}
      source={source}
      summary={summary}
      searchNote="searches the lines loaded so far"
    />
  );
});
