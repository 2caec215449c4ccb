import { describe, expect, it } from 'vitest';
import { notebookPermissions } from './permissions';

describe('notebookPermissions', () => {
  it('follows the allowed actions the server sent', () => {
    expect(notebookPermissions(['notebook.view'])).toEqual({ run: false, edit: false });
    expect(notebookPermissions(['notebook.view', 'notebook.run'])).toEqual({
      run: true,
      edit: false,
    });
    expect(notebookPermissions(['notebook.view', 'notebook.run', 'notebook.edit'])).toEqual({
      run: true,
      edit: true,
    });
  });

  it('shows every control when the server sent no list (it still refuses what it must)', () => {
    expect(notebookPermissions(undefined)).toEqual({ run: true, edit: true });
  });
});
