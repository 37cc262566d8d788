/** Dates for the CMDB screens. */

export { formatDateTime, timeAgo } from '$lib/components/format';

/** "1 CI", "3 CIs". */
export function plural(n: number, one: string, many = `${one}s`): string {
	return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
