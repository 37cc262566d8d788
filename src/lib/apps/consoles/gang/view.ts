// A gang window's props: `{ gang: [consoleId, …] }` (saved with the layout, so a reload reopens the gang; a
// desktop link gives them as "gang=3,7,9"). A macro library window: `{ macros: true }` ("macros=1").
import { GANG_MAX_CONSOLES } from '$protocol/gang';

/** The consoles of a gang window, or null when the window is not one. */
export function gangIds(props: Record<string, unknown>): number[] | null {
	const raw = typeof props.gang === 'string' ? props.gang.split(',') : props.gang;
	if (!Array.isArray(raw)) return null;
	const ids = raw
		.map((v) => (typeof v === 'string' ? Number(v) : v))
		.filter((n): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0);
	return ids.length ? [...new Set(ids)].slice(0, GANG_MAX_CONSOLES) : null;
}

export function isMacroLibrary(props: Record<string, unknown>): boolean {
	return props.macros === true || props.macros === 'true' || props.macros === '1';
}
