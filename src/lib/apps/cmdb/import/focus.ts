const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [href]';

/** Keeps Tab and Shift+Tab cycling inside a modal: the app behind it is covered while it is open. */
export function keepTabInside(e: KeyboardEvent, container: HTMLElement): void {
	if (e.key !== 'Tab') return;
	const all = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hidden);
	const first = all[0];
	const last = all.at(-1);
	const at = document.activeElement;
	if (e.shiftKey && (at === first || at === container)) {
		e.preventDefault();
		last?.focus();
	} else if (!e.shiftKey && at === last) {
		e.preventDefault();
		first?.focus();
	}
}
