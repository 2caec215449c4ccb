/**
 * Delete with an inline confirmation (one row at a time): a Delete button that, once pressed,
 * asks "Delete NAME?" with Delete and Cancel. Test ids: `<testId>`, `<testId>-confirm`,
 * `<testId>-yes`.
 */
export function ConfirmDelete({
  name,
  testId,
  confirming,
  pending,
  onAsk,
  onCancel,
  onConfirm,
}: {
  name: string;
  testId: string;
  confirming: boolean;
  pending: boolean;
  onAsk(): void;
  onCancel(): void;
  onConfirm(): void;
}) {
  if (!confirming) {
    return (
      <button type="button" className="btn btn-small" data-testid={testId} onClick={onAsk}>
        Delete
      </button>
    );
  }
  return (
    <span className="confirm" data-testid={`${testId}-confirm`}>
      Delete {name}?{' '}
      <button
        type="button"
        className="btn btn-small btn-danger"
        data-testid={`${testId}-yes`}
        disabled={pending}
        onClick={onConfirm}
      >
        Delete
      </button>{' '}
      <button type="button" className="btn btn-small" onClick={onCancel}>
        Cancel
      </button>
    </span>
  );
}
