import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** When this changes (new outputs), the boundary tries rendering again. */
  resetKey: unknown;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/** Keeps one output that fails to render from blanking the whole notebook. */
export class OutputErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('output failed to render', error, info.componentStack);
  }

  override componentDidUpdate(prev: Props): void {
    if (this.state.error && prev.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  override render(): ReactNode {
    if (this.state.error) {
      return (
        <div className="output-render-error" role="alert">
          This output could not be displayed: {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
