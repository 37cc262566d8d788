// The bookmarks of the source a viewer shows: which lines carry one, what a new one on a line is, and the
// link that opens a line.
import { Loader } from '$lib/components/async.svelte';
import { deepLink } from '$lib/desktop/deep-link';
import { trpc } from '$lib/trpc';
import type { LogBookmarkInput } from '$protocol/logs';
import type { Row } from './rows';
import type { ViewSource } from './source';
import type { Bookmark } from './types';
import { linkProps, type Goto } from './view';

const keyOf = (r: Row) => (r.cursor ? `c${r.cursor}` : `n${r.n}`);

export class SourceBookmarks {
	readonly list: Loader<Bookmark[]>;
	#source: ViewSource;

	constructor(source: ViewSource) {
		this.#source = source;
		this.list = new Loader<Bookmark[]>(() => {
			const s = source;
			if (s.kind === 'access') return trpc.logs.bookmarks.list.query({ consoleId: s.consoleId });
			if (s.kind === 'file') return trpc.logs.bookmarks.list.query({ deviceId: s.deviceId, path: s.path });
			return trpc.logs.bookmarks.list
				.query({ deviceId: s.deviceId })
				.then((l) => l.filter((b) => b.type === 'journal'));
		});
	}

	readonly #byLine = $derived.by(() => {
		// A fresh map each time the list changes: nothing mutates it later.
		// eslint-disable-next-line svelte/prefer-svelte-reactivity
		const m = new Map<string, Bookmark>();
		for (const b of this.list.data ?? []) m.set(b.type === 'journal' ? `c${b.cursor}` : `n${b.line}`, b);
		return m;
	});

	of(r: Row): Bookmark | undefined {
		return this.#byLine.get(keyOf(r));
	}

	/** What a new bookmark on `r` is; null while the line has no number yet (a big file still being counted). */
	input(r: Row): LogBookmarkInput | null {
		const s = this.#source;
		const anchor = r.text;
		if (s.kind === 'access')
			return r.n ? { type: 'access-log', consoleId: s.consoleId, line: r.n, anchor } : null;
		if (s.kind === 'journal')
			return r.cursor ? { type: 'journal', deviceId: s.deviceId, cursor: r.cursor, anchor } : null;
		if (r.n === null || r.offset === null) return null;
		return { type: 'file', deviceId: s.deviceId, path: s.path, line: r.n, offset: r.offset, anchor };
	}

	/** The link that opens `r`: its bookmark's, or one naming the source and the line. */
	link(r: Row): string {
		const b = this.of(r);
		if (b) return b.link;
		const g: Goto | null = r.cursor ? { cursor: r.cursor } : r.n ? { line: r.n } : null;
		return deepLink('logs', linkProps(this.#source, g));
	}
}
