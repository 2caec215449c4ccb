import { setThemeChoice, useTheme, type ThemeChoice } from './theme';

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const LABEL: Record<ThemeChoice, string> = {
  system: 'Theme: system',
  light: 'Theme: light',
  dark: 'Theme: dark',
};
const ICON: Record<ThemeChoice, string> = { system: '◐', light: '☀', dark: '☾' };

/** The top bar's theme switch: system → light → dark → system. */
export function ThemeToggle() {
  const { choice, theme } = useTheme();
  return (
    <button
      type="button"
      className="btn theme-toggle"
      data-testid="theme-toggle"
      data-theme-choice={choice}
      aria-label={`${LABEL[choice]} (showing ${theme}); switch to ${NEXT[choice]}`}
      title={`${LABEL[choice]} — click for ${NEXT[choice]}`}
      onClick={() => setThemeChoice(NEXT[choice])}
    >
      <span aria-hidden="true">{ICON[choice]}</span>
    </button>
  );
}
