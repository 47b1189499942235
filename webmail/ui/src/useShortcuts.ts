import { useEffect, useRef } from 'react';

export type ShortcutKey = 'c' | 'r' | 'a' | 'f' | 'j' | 'k' | 'o' | '#' | '/' | '?' | 'Escape';

/** True when a key press belongs to a field the user is typing in. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit'].includes(type);
}

/** A modal dialog or drawer is showing: its own keys win. */
function dialogOpen(): boolean {
  return [...document.querySelectorAll('[role="dialog"]')].some((d) => d.getClientRects().length > 0);
}

/**
 * Gmail-style single-key shortcuts on the whole page. Ignored while typing in a field, with Ctrl/Alt/Meta,
 * and while a dialog is open (except Escape, which dialogs handle themselves). Enter opens like `o`.
 */
export function useShortcuts(handlers: Partial<Record<ShortcutKey, () => void>>, enabled = true): void {
  const current = useRef(handlers);
  useEffect(() => {
    current.current = handlers;
  });
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing || typingIn(e.target)) return;
      if (dialogOpen()) return;
      const key = (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement) ? 'o' : e.key) as ShortcutKey;
      const handler = current.current[key];
      if (!handler) return;
      e.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
