// Server-side readers of console output on this node (a macro's wait-for steps). The broker calls
// `outputTapped` for every chunk it hands to this node's viewers: on the node holding the agent's link, and on
// any other node that announced a viewer (so a macro registers one, see player.ts). The registry lives on
// globalThis because the SvelteKit bundle and the server entry each carry a copy of this module.

export type OutputTap = (seq: number, data: Uint8Array) => void;

const KEY = Symbol.for('fleetdesk.consoles.outputTaps');
type G = typeof globalThis & { [KEY]?: Map<number, Set<OutputTap>> };

function taps(): Map<number, Set<OutputTap>> {
	return ((globalThis as G)[KEY] ??= new Map());
}

/** Calls `fn` with each output chunk of the console seen on this node; returns the function that stops it. */
export function tapOutput(consoleId: number, fn: OutputTap): () => void {
	const all = taps();
	let set = all.get(consoleId);
	if (!set) all.set(consoleId, (set = new Set()));
	set.add(fn);
	return () => {
		set.delete(fn);
		if (!set.size && all.get(consoleId) === set) all.delete(consoleId);
	};
}

/** Called by the broker (output.ts) for each chunk; a tap that throws is reported, never breaks the fan-out. */
export function outputTapped(consoleId: number, seq: number, data: Uint8Array): void {
	const set = (globalThis as G)[KEY]?.get(consoleId);
	if (!set) return;
	for (const fn of set)
		try {
			fn(seq, data);
		} catch (e) {
			console.error(`consoles: an output reader of console ${consoleId} failed:`, e);
		}
}
