import { describe, expect, it } from 'vitest';
import { MessageCodec, WireError } from './wire.js';

describe('Jupyter wire codec', () => {
  it('round-trips a signed message', () => {
    const codec = new MessageCodec('secret');
    const msg = codec.create('execute_request', { code: '1+1' });
    const decoded = codec.decode([Buffer.from('routing-id'), ...codec.encode(msg)]);
    expect(decoded.header).toEqual(msg.header);
    expect(decoded.content).toEqual({ code: '1+1' });
  });

  it('rejects a message whose content was altered or signed with another key', () => {
    const codec = new MessageCodec('secret');
    const frames = codec.encode(codec.create('stream', { text: 'hi' }));
    const altered = [...frames];
    altered[5] = Buffer.from(JSON.stringify({ text: 'evil' }));
    expect(() => codec.decode(altered)).toThrow(WireError);
    const other = new MessageCodec('other-key');
    expect(() => codec.decode(other.encode(other.create('stream', { text: 'hi' })))).toThrow(
      'bad message signature',
    );
  });

  it('rejects frames without the delimiter', () => {
    expect(() => new MessageCodec('k').decode([Buffer.from('x')])).toThrow(WireError);
  });
});
