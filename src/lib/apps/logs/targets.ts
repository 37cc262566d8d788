// Where a bookmark points, as a source and a place in it. A file may have changed since the bookmark was set
// (rotated, truncated, edited above the line): its line is checked against the text saved with it, then the
// byte offset, before the viewer opens there.
import { trpc } from '$lib/trpc';
import type { LogBookmarkView } from '$protocol/logs';
import type { ViewSource } from './source';
import type { Goto } from './view';

export interface Place {
	source: ViewSource;
	goto: Goto | null;
	/** The saved line is no longer where it was, and was not found at its offset either. */
	moved?: boolean;
}

export function bookmarkTarget(b: LogBookmarkView): Place | null {
	if (b.type === 'access-log' && b.consoleId !== null)
		return { source: { kind: 'access', consoleId: b.consoleId }, goto: b.line ? { line: b.line } : null };
	if (b.deviceId === null) return null;
	if (b.type === 'journal')
		return {
			source: { kind: 'journal', deviceId: b.deviceId },
			goto: b.cursor ? { cursor: b.cursor } : null
		};
	if (b.type === 'file' && b.path)
		return {
			source: { kind: 'file', deviceId: b.deviceId, path: b.path },
			goto: b.line ? { line: b.line } : null
		};
	return null;
}

/** The bookmark's place, with a file bookmark's line checked against the text saved with it. */
export async function bookmarkPlace(b: LogBookmarkView): Promise<Place | null> {
	const t = bookmarkTarget(b);
	if (!t || b.type !== 'file' || !b.anchor || !b.line || b.deviceId === null || !b.path) return t;
	const at = (from: { line: number } | { offset: number }) =>
		trpc.logs.read.query({ deviceId: b.deviceId!, source: { type: 'file', path: b.path! }, from, count: 1 });
	try {
		if ((await at({ line: b.line })).lines[0]?.text === b.anchor) return t;
		if (b.offset !== null) {
			const l = (await at({ offset: b.offset })).lines[0];
			if (l?.text === b.anchor && l.n) return { ...t, goto: { line: l.n } };
		}
		return { ...t, moved: true };
	} catch {
		// The agent is offline or the file is gone: the viewer opens and says why.
		return t;
	}
}
