import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { retention } from '$server/metrics/ingest';
import { idleDevices } from '$server/metrics/queries';
import { idleCsv, idleCsvFilename } from '$server/metrics/idle-csv';
import { contentDisposition } from '$server/cmdb/document-types';
import { readableZodError } from '$server/trpc/trpc';
import { idleQuerySchema } from '$lib/protocol/metrics';
import { authorise, errorResponse, jsonError } from '$server/http/route-guard';

/**
 * GET /api/metrics/idle.csv?thresholdPct=3&days=7&sort=avgCpu&dir=asc — the idle-servers report as
 * RFC 4180 CSV, in the order the table shows. Session-authenticated, `agents.read` like metrics.idle.
 */
export const GET: RequestHandler = async (event) => {
	const actor = authorise(event, 'agents.read');
	if (actor instanceof Response) return actor;
	const p = event.url.searchParams;
	const number = (k: string) => (p.has(k) ? Number(p.get(k)) : undefined);
	const parsed = idleQuerySchema.safeParse({
		thresholdPct: number('thresholdPct'),
		days: number('days'),
		sort: p.get('sort') || undefined,
		dir: p.get('dir') || undefined
	});
	if (!parsed.success) return jsonError(400, readableZodError(parsed.error));
	let csv: string;
	try {
		csv = idleCsv(await idleDevices(runtime().db, parsed.data, retention()));
	} catch (e) {
		return errorResponse(e);
	}
	// The byte-order mark makes Excel read UTF-8 (as the CMDB export does).
	return new Response('\uFEFF' + csv, {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': contentDisposition(idleCsvFilename(parsed.data)),
			'cache-control': 'no-store'
		}
	});
};
