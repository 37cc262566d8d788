import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';

export const GET: RequestHandler = async () => {
	const rt = runtime();
	try {
		await Promise.race([
			rt.database.ping(),
			new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000))
		]);
		return json({ status: 'ok', db: rt.dbKind, version: rt.version, node: rt.nodeId });
	} catch {
		return json(
			{ status: 'unavailable', db: rt.dbKind, version: rt.version, node: rt.nodeId },
			{ status: 503 }
		);
	}
};
