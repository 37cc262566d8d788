// Sizes and labels the Logs app shows.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** "1.4 GB", "512 B". */
export function formatBytes(n: number): string {
	let v = n;
	let u = 0;
	while (v >= 1024 && u < UNITS.length - 1) {
		v /= 1024;
		u++;
	}
	return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}
