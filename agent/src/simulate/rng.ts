// Deterministic randomness for virtual agents: the same host name always yields the same machine, so a
// re-run of `simulate` sends the same inventory (and the server writes nothing for it).

/** FNV-1a, 32 bits: a stable number for a string. */
export function hash32(s: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < s.length; i++) {
		h ^= s.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

/** mulberry32: a small, fast generator; good enough for plausible-looking data. */
export function seeded(seed: string): () => number {
	let a = hash32(seed);
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export type Rng = () => number;

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
export const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
export const hex = (n: number, width = 2): string => n.toString(16).padStart(width, '0');
