import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { parseStreamContent } from './streamContent.js';

/**
 * Jupyter wire protocol v5.3 message framing and HMAC signing
 * (https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol):
 * `[routing ids…, "<IDS|MSG>", hmac, header, parent_header, metadata, content, buffers…]`.
 */
export const PROTOCOL_VERSION = '5.3';
const DELIMITER = Buffer.from('<IDS|MSG>');

export interface JupyterHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded Jupyter message; `content` is left untyped until the caller narrows it. */
export interface JupyterMessage {
  header: JupyterHeader;
  parent_header: Partial<JupyterHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** Raised for frames that are not a valid, correctly signed Jupyter message. */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/** Encodes and decodes signed messages for one kernel connection (key + client session id). */
export class MessageCodec {
  private readonly key: Buffer;

  constructor(
    key: string,
    readonly session: string = randomUUID(),
    private readonly username = 'spin',
  ) {
    this.key = Buffer.from(key, 'utf8');
  }

  /** A new message with a fresh msg_id. */
  create(
    msgType: string,
    content: Record<string, unknown>,
    parent: Partial<JupyterHeader> = {},
  ): JupyterMessage {
    return {
      header: {
        msg_id: randomUUID(),
        session: this.session,
        username: this.username,
        date: new Date().toISOString(),
        msg_type: msgType,
        version: PROTOCOL_VERSION,
      },
      parent_header: parent,
      metadata: {},
      content,
      buffers: [],
    };
  }

  private sign(parts: readonly (string | Buffer)[]): string {
    if (this.key.length === 0) return '';
    const h = createHmac('sha256', this.key);
    for (const p of parts) h.update(p);
    return h.digest('hex');
  }

  /** Frames to send on a shell/control Dealer (the Dealer adds the routing id itself). */
  encode(msg: JupyterMessage): Buffer[] {
    const parts = [
      JSON.stringify(msg.header),
      JSON.stringify(msg.parent_header),
      JSON.stringify(msg.metadata),
      JSON.stringify(msg.content),
    ];
    return [
      DELIMITER,
      Buffer.from(this.sign(parts)),
      ...parts.map((p) => Buffer.from(p)),
      ...msg.buffers,
    ];
  }

  /** Verify the HMAC (constant time) and parse the four JSON frames. */
  decode(frames: readonly Buffer[]): JupyterMessage {
    const at = frames.findIndex((f) => f.equals(DELIMITER));
    if (at < 0 || frames.length < at + 6) throw new WireError('not a Jupyter message');
    const [sig, header, parent, metadata, content] = frames.slice(at + 1, at + 6) as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    if (this.key.length > 0) {
      const expected = Buffer.from(this.sign([header, parent, metadata, content]));
      if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) {
        throw new WireError('bad message signature');
      }
    }
    try {
      const head = JSON.parse(header.toString('utf8')) as JupyterHeader;
      return {
        header: head,
        parent_header: JSON.parse(parent.toString('utf8')) as Partial<JupyterHeader>,
        metadata: JSON.parse(metadata.toString('utf8')) as Record<string, unknown>,
        content:
          (head.msg_type === 'stream' ? parseStreamContent(content) : null) ??
          (JSON.parse(content.toString('utf8')) as Record<string, unknown>),
        buffers: frames.slice(at + 6),
      };
    } catch {
      throw new WireError('message frames are not JSON');
    }
  }
}
