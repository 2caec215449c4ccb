import { memo, useMemo, type ReactNode } from 'react';
import type { MimeBundle, Output } from '@spin/protocol';
import { AnsiText } from './AnsiText';
import { FrameView } from './FrameView';
import { groupOutputs } from './frames';
import { selectMime } from './mime';
import { StreamView } from './StreamView';
import { SpilledStreamView } from './SpilledStreamView';
import { planSpills } from './spilled';
import { estimateHtmlHeight, frameDocument } from './htmlFrame';
import { JsonTree } from './JsonTree';

/** Renders one cell's outputs (nbformat output types; SPIN frames grouped by result). */
export const OutputList = memo(function OutputList({ outputs }: { outputs: readonly Output[] }) {
  // A stream the output budget cut (head, blob reference, tail) is shown as one stream.
  const slots = useMemo(() => planSpills(outputs), [outputs]);
  const plain = useMemo(
    () => slots.filter((s) => s.kind === 'output').map((s) => s.output),
    [slots],
  );
  const groups = useMemo(() => groupOutputs(plain, outputs), [plain, outputs]);
  if (slots.length === plain.length) return <Groups groups={groups} />;
  // rare: render cut streams in their places, the rest grouped between them
  const parts: ReactNode[] = [];
  let run: Output[] = [];
  const flush = (key: number) => {
    if (run.length) parts.push(<Groups key={`g${key}`} groups={groupOutputs(run, outputs)} />);
    run = [];
  };
  for (const s of slots) {
    if (s.kind === 'output') run.push(s.output);
    else {
      flush(s.index);
      parts.push(<SpilledStreamView key={`s${s.index}`} spilled={s.spilled} />);
    }
  }
  flush(-1);
  return <>{parts}</>;
});

function Groups({ groups }: { groups: ReturnType<typeof groupOutputs> }) {
  return (
    <>
      {groups.map((g) =>
        g.kind === 'frames' ? (
          <FrameView key={g.index} frames={g.frames} spill={g.spill ?? null} />
        ) : (
          <OutputItem key={g.index} output={g.output} />
        ),
      )}
    </>
  );
}

const OutputItem = memo(function OutputItem({ output }: { output: Output }) {
  switch (output.output_type) {
    case 'stream':
      return <StreamView name={output.name} text={output.text} />;
    case 'error':
      return (
        <div className="output output-error">
          <div className="output-error-title">
            {output.ename}: {output.evalue}
          </div>
          {output.traceback.length > 0 && (
            <pre className="output-traceback">
              <AnsiText text={output.traceback.join('\n')} />
            </pre>
          )}
        </div>
      );
    case 'display_data':
    case 'execute_result':
      return <MimeOutput bundle={output.data} />;
  }
});

function MimeOutput({ bundle }: { bundle: MimeBundle }) {
  const r = useMemo(() => selectMime(bundle), [bundle]);
  switch (r.kind) {
    case 'image':
      return (
        <div className="output output-image">
          <img src={r.src} alt="cell output" />
        </div>
      );
    case 'html':
      return (
        <iframe
          className="output output-html"
          sandbox=""
          srcDoc={frameDocument(r.html)}
          title="HTML output"
          style={{ height: estimateHtmlHeight(r.html) }}
        />
      );
    case 'json':
      return <JsonTree value={r.value} text={r.text} />;
    case 'text':
      return (
        <pre className="output output-text">
          <AnsiText text={r.text} />
        </pre>
      );
    case 'empty':
      return null;
  }
}
