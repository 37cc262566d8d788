// The OCS Inventory NG communication-server endpoint for ocsinventory-agent (docs/ocs.md).
import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { handleOcsRequest } from '$server/inventory/ocs/handler';

export const POST: RequestHandler = ({ request, getClientAddress }) => {
	const rt = runtime();
	return handleOcsRequest({ db: rt.db, config: rt.config, request, ip: getClientAddress() });
};
