import { describe, expect, it } from 'vitest';
import { COMMAND_SHORTCUTS, DOUBLE_PRESS_MS, commandFor, type KeyPress } from './commandMode';

function press(key: string, mods: Partial<KeyPress> = {}): KeyPress {
  return { key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods };
}

describe('command mode keymap', () => {
  it('maps single keys, with either case and the arrow aliases', () => {
    const cases: [KeyPress, string][] = [
      [press('Enter'), 'edit'],
      [press('Enter', { shiftKey: true }), 'run-advance'],
      [press('Enter', { ctrlKey: true }), 'run-stay'],
      [press('Enter', { metaKey: true }), 'run-stay'],
      [press('Enter', { altKey: true }), 'run-insert-below'],
      [press('a'), 'insert-above'],
      [press('A'), 'insert-above'],
      [press('b'), 'insert-below'],
      [press('z'), 'undo-delete'],
      [press('m'), 'to-markdown'],
      [press('y'), 'to-code'],
      [press('ArrowUp'), 'select-up'],
      [press('k'), 'select-up'],
      [press('ArrowDown'), 'select-down'],
      [press('j'), 'select-down'],
      [press('ArrowUp', { shiftKey: true }), 'extend-up'],
      [press('K', { shiftKey: true }), 'extend-up'],
      [press('ArrowDown', { shiftKey: true }), 'extend-down'],
      [press('J', { shiftKey: true }), 'extend-down'],
      [press('a', { ctrlKey: true }), 'select-all'],
      [press('s', { metaKey: true }), 'save'],
      [press('c'), 'copy'],
      [press('x'), 'cut'],
      [press('v'), 'paste-below'],
      [press('V', { shiftKey: true }), 'paste-above'],
      [press('ArrowUp', { ctrlKey: true, shiftKey: true }), 'move-up'],
      [press('ArrowDown', { ctrlKey: true, shiftKey: true }), 'move-down'],
    ];
    for (const [p, command] of cases) expect(commandFor(p, null, 0).command, p.key).toBe(command);
  });

  it('needs D, I and 0 twice within the double-press window', () => {
    for (const [key, command] of [
      ['d', 'delete'],
      ['i', 'interrupt'],
      ['0', 'restart'],
    ] as const) {
      const first = commandFor(press(key), null, 1000);
      expect(first.command).toBeNull();
      expect(commandFor(press(key), first.pending, 1000 + DOUBLE_PRESS_MS).command).toBe(command);
      expect(commandFor(press(key), first.pending, 1001 + DOUBLE_PRESS_MS).command).toBeNull();
    }
    // another key in between breaks the pair: D, I, D deletes nothing
    const d = commandFor(press('d'), null, 0);
    const i = commandFor(press('i'), d.pending, 10);
    expect(commandFor(press('d'), i.pending, 20).command).toBeNull();
  });

  it("leaves the browser's own shortcuts and unbound keys alone", () => {
    for (const p of [
      press('c', { ctrlKey: true }),
      press('v', { metaKey: true }),
      press('r', { ctrlKey: true }),
      press('a', { altKey: true }),
      press('a', { shiftKey: true }),
      press('q'),
      press('Tab'),
      press('Escape'),
    ]) {
      expect(commandFor(p, null, 0).command).toBeNull();
    }
  });

  it('lists a shortcut for every command it can return', () => {
    const listed = new Set(COMMAND_SHORTCUTS.map((s) => s.command));
    expect(listed.size).toBe(COMMAND_SHORTCUTS.length);
    expect([...listed]).toContain('delete');
    expect(listed.size).toBe(24);
  });
});
