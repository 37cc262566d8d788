// Replies as an OCS communication server sends them: <REPLY> XML, zlib-compressed, application/x-compressed.
import { compress } from './inflate';

function esc(v: string): string {
	return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function xml(fields: Record<string, string>): string {
	const body = Object.entries(fields)
		.map(([k, v]) => `<${k}>${esc(v)}</${k}>`)
		.join('');
	return `<?xml version='1.0' encoding='UTF-8'?>\n<REPLY>${body}</REPLY>\n`;
}

/**
 * PROLOG_FREQ tells the agent (in daemon or --lazy mode) how many hours to wait before it asks again: half
 * the inventory period, in whole hours as OCS servers send it, so a report is due at most half a period late.
 */
export function prologFreqHours(intervalHours: number): number {
	return Math.max(1, Math.ceil(intervalHours / 2));
}

export function prologReply(send: boolean, intervalHours: number): string {
	return xml({ RESPONSE: send ? 'SEND' : 'STOP', PROLOG_FREQ: String(prologFreqHours(intervalHours)) });
}

/** Fleetdesk keeps no OCS account info (administrative data) to push back to the agent. */
export function inventoryReply(): string {
	return xml({ RESPONSE: 'NO_ACCOUNT_UPDATE' });
}

export async function compressedResponse(xmlText: string): Promise<Response> {
	const body = await compress(xmlText);
	return new Response(new Uint8Array(body), {
		status: 200,
		headers: { 'content-type': 'application/x-compressed', 'cache-control': 'no-cache' }
	});
}
