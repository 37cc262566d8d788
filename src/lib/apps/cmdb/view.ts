import { CI_TABS, type CiTab, type View } from './types';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The view saved in a window's props; anything unknown or damaged falls back to all CIs. */
export function parseView(props: Record<string, unknown>): View {
	switch (props.view) {
		case 'list':
		case 'new':
			if (str(props.class)) return { view: props.view, class: str(props.class) };
			break;
		case 'ci': {
			const id = Number(props.id);
			const tab = CI_TABS.includes(props.tab as CiTab) ? (props.tab as CiTab) : 'attributes';
			if (Number.isSafeInteger(id) && id > 0) return { view: 'ci', id, tab };
			break;
		}
		case 'model':
			return {
				view: 'model',
				section: props.section === 'domains' ? 'domains' : 'classes',
				class: str(props.class) || null,
				domain: str(props.domain) || null
			};
		case 'tokens':
			return { view: 'tokens' };
	}
	return { view: 'all', q: str(props.q) };
}

/**
 * The props for a view. Every key is written (null when unused) because the desktop merges props into
 * the old ones: a stale `id` must not survive a switch to a list.
 */
export function viewProps(v: View): Record<string, unknown> {
	const base: Record<string, unknown> = {
		view: v.view,
		class: null,
		id: null,
		q: null,
		tab: null,
		section: null,
		domain: null
	};
	return { ...base, ...v };
}

export function sameView(a: View, b: View): boolean {
	return JSON.stringify(viewProps(a)) === JSON.stringify(viewProps(b));
}
