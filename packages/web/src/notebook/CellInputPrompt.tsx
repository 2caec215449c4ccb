import { useEffect, useRef, useState } from 'react';
import type { InputRequest } from '@spin/client';

/**
 * The input box under a cell whose kernel waits for a line (`input()`; `getpass()` gets a
 * password field). Enter sends the line; the runtime echoes prompt and answer into the output
 * (a password answer is never echoed, stored or logged).
 */
export function CellInputPrompt({
  request,
  onAnswer,
}: {
  request: InputRequest;
  onAnswer: (value: string) => void;
}) {
  const [value, setValue] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  // the kernel is blocked on it: the box takes focus, as in Jupyter
  useEffect(() => ref.current?.focus(), []);
  return (
    <form
      className="cell-input-request"
      data-testid="cell-input-request"
      onSubmit={(e) => {
        e.preventDefault();
        onAnswer(value);
        setValue('');
      }}
    >
      <label>
        <span className="cell-input-prompt">{request.prompt}</span>
        <input
          ref={ref}
          type={request.password ? 'password' : 'text'}
          autoComplete={request.password ? 'off' : undefined}
          spellCheck={false}
          value={value}
          aria-label={request.prompt || (request.password ? 'Password' : 'Input')}
          onChange={(e) => setValue(e.target.value)}
        />
      </label>
    </form>
  );
}
