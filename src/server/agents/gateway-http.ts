// Small pieces of the agent gateway's HTTP side: bounded bodies, JSON answers, and a refusal log that a flood
// of bad clients cannot flood.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RefusalLog = (address: string, reason: string) => void;

/** Logs refusals, at most 60 lines a minute: a flood of bad clients must not flood the log. */
export function refusalLogger(): RefusalLog {
	let windowStart = 0;
	let lines = 0;
	let suppressed = 0;
	return (address: string, reason: string) => {
		const now = Date.now();
		if (now - windowStart > 60_000) {
			if (suppressed)
				console.warn(`agent gateway: ${suppressed} more refusals in the last minute not logged`);
			windowStart = now;
			lines = 0;
			suppressed = 0;
		}
		if (++lines > 60) suppressed++;
		else console.warn(`agent gateway: refused ${address || 'unknown address'}: ${reason}`);
	};
}

export function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > limit) {
				resolve(null);
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
	if (res.headersSent) return;
	res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
	res.end(JSON.stringify(body));
}
