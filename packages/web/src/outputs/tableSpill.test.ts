import { describe, expect, it } from 'vitest';
import { BLOB_REF_MIME, TABLE_MIME, type BlobRef, type Output } from '@spin/protocol';
import { groupOutputs } from './frames';
import { findTableSpill } from './tableSpill';

const page0: Output = {
  output_type: 'display_data',
  metadata: {},
  data: {
    [TABLE_MIME]: {
      schema: { fields: [{ name: 'n', type: 'integer' }] },
      columns: [[1, 2]],
      page: { frameId: 'r', index: 0, offset: 0, last: false },
    },
  },
};
const spilled: Output = {
  output_type: 'stream',
  name: 'stdout',
  text: 'hello\n{"columns":["n"],"fromRow":2}\n[3]\n',
};
function blobRef(over: Partial<BlobRef> = {}): Output {
  const ref: BlobRef = {
    id: 'b_0123456789abcdefXYZ',
    stream: 'stdout',
    state: 'complete',
    bytes: 100,
    lines: 10, // hello, the header and rows 3…10
    sha256: 'a'.repeat(64),
    head: { lines: 3, bytes: 40 },
    tail: null,
    droppedBytes: 0,
    path: '/v1/blobs/b_0123456789abcdefXYZ',
    ...over,
  };
  return { output_type: 'display_data', metadata: {}, data: { [BLOB_REF_MIME]: ref } };
}

describe('a table cut by the output budget', () => {
  it('is found from the spill header and its blob, with the whole result counted', () => {
    const groups = groupOutputs([page0, spilled, blobRef()]);
    const table = groups[0]!;
    expect(table.kind === 'frames' && table.spill).toEqual({
      fromRow: 2,
      total: 10,
      blob: expect.objectContaining({ id: 'b_0123456789abcdefXYZ' }),
    });
  });

  it('has no total while the blob is still written or when it dropped bytes', () => {
    expect(
      findTableSpill([spilled, blobRef({ state: 'spilling', sha256: null })], ['n'])?.total,
    ).toBeNull();
    expect(findTableSpill([spilled, blobRef({ droppedBytes: 5 })], ['n'])?.total).toBeNull();
    expect(findTableSpill([spilled], ['n'])).toEqual({ fromRow: 2, total: null, blob: null });
  });

  it('ignores a header naming other columns, text that only looks like one, and complete tables', () => {
    expect(findTableSpill([spilled], ['m'])).toBeNull();
    const fake: Output = { output_type: 'stream', name: 'stdout', text: '{"columns": oops\n' };
    expect(findTableSpill([fake], ['n'])).toBeNull();
    const done = groupOutputs([
      {
        ...page0,
        data: {
          [TABLE_MIME]: {
            ...(page0.data[TABLE_MIME] as object),
            page: { frameId: 'r', index: 0, offset: 0, last: true },
          },
        },
      },
      spilled,
    ]);
    expect(done[0]!.kind === 'frames' && done[0]!.spill).toBeFalsy();
  });
});
