// Macro steps as the editor and the run view show them.
import { checkRegex } from '$lib/logs/regex';
import {
	MACRO_DEFAULT_TIMEOUT_MS,
	macroInputSchema,
	type MacroInput,
	type MacroStep,
	type MacroStepInput,
	type MacroConsoleState
} from '$protocol/gang';

/** A step being edited: every field present, so inputs can bind to them. */
export interface DraftStep {
	type: 'send' | 'wait' | 'delay';
	text: string;
	enter: boolean;
	pattern: string;
	ignoreCase: boolean;
	/** Seconds, as typed. */
	timeout: number;
	delay: number;
}

export function draftOf(s: MacroStepInput): DraftStep {
	return {
		type: s.type,
		text: s.type === 'send' ? s.text : '',
		enter: s.type === 'send' ? (s.enter ?? true) : true,
		pattern: s.type === 'wait' ? s.pattern : '',
		ignoreCase: s.type === 'wait' ? (s.ignoreCase ?? false) : false,
		timeout:
			(s.type === 'wait' ? (s.timeoutMs ?? MACRO_DEFAULT_TIMEOUT_MS) : MACRO_DEFAULT_TIMEOUT_MS) / 1000,
		delay: s.type === 'delay' ? s.ms / 1000 : 1
	};
}

export function stepOf(d: DraftStep): MacroStepInput {
	if (d.type === 'send') return { type: 'send', text: d.text, enter: d.enter };
	if (d.type === 'wait')
		return {
			type: 'wait',
			pattern: d.pattern,
			ignoreCase: d.ignoreCase,
			timeoutMs: Math.round(Number(d.timeout) * 1000)
		};
	return { type: 'delay', ms: Math.round(Number(d.delay) * 1000) };
}

/** The message for a wait step's pattern (pointing at the position), or ''. */
export function patternError(d: DraftStep): string {
	if (d.type !== 'wait') return '';
	const c = checkRegex(d.pattern, d.ignoreCase ? 'i' : '');
	return c.ok ? '' : c.message;
}

/** Recorded lines as send steps. */
export function linesToSteps(lines: string[], partial = ''): MacroStepInput[] {
	const steps: MacroStepInput[] = lines.map((text) => ({ type: 'send', text, enter: true }));
	if (partial) steps.push({ type: 'send', text: partial, enter: false });
	return steps;
}

/** Checks the whole macro as the server will; the first problem as one sentence, or null. */
export function validate(m: MacroInput): string | null {
	const r = macroInputSchema.safeParse(m);
	if (r.success) return null;
	const i = r.error.issues[0];
	const [first, n] = i.path;
	const where = first === 'steps' && typeof n === 'number' ? `Step ${n + 1}: ` : '';
	return `${where}${i.message}`;
}

export function describeStep(s: MacroStep | MacroStepInput): string {
	if (s.type === 'send')
		return s.text ? `type “${s.text}”${s.enter === false ? ' (no Enter)' : ''}` : 'press Enter';
	if (s.type === 'wait')
		return `wait for /${s.pattern}/${s.ignoreCase ? 'i' : ''} (up to ${(s.timeoutMs ?? MACRO_DEFAULT_TIMEOUT_MS) / 1000} s)`;
	return `pause ${s.ms / 1000} s`;
}

/** Badge class for a console's playback state. */
export function runBadge(s: MacroConsoleState | string): string {
	switch (s) {
		case 'done':
		case 'matched':
			return 'badge badge-success';
		case 'sending':
		case 'waiting':
		case 'delaying':
		case 'queued':
			return 'badge badge-warning';
		case 'failed':
		case 'timed-out':
			return 'badge badge-danger';
		default:
			return 'badge';
	}
}
