// POST /ocsinventory: the part of an OCS Inventory NG communication server that ocsinventory-agent needs.
// PROLOG → SEND when the host's last report is older than the inventory period (or it has none), else STOP;
// INVENTORY → mapped to the normalised inventory and reconciled into the CMDB like a Fleetdesk agent's.
import type { Db } from '../../db/client';
import type { Config } from '../../env';
import { UserError } from '../../errors';
import { applyInventory } from '../apply';
import { ocsChallenge, ocsCredentialsValid, ocsEnabled } from './auth';
import { MAX_OCS_BODY_BYTES, OcsRefused } from './errors';
import { ensureOcsHost, findOcsHost, markInventoried, ocsKey, touchProlog, type Contact } from './hosts';
import { inflateBody } from './inflate';
import { mapOcsInventory } from './map';
import { compressedResponse, inventoryReply, prologReply } from './reply';
import { parseRequest, type OcsContent } from './request';
import { parseXml } from './xml';

export interface OcsContext {
	db: Db;
	config: Pick<Config, 'ocs' | 'agent'>;
	request: Request;
	ip: string;
}

function errorResponse(e: OcsRefused, extra: Record<string, string> = {}): Response {
	return new Response(JSON.stringify({ error: { code: e.reason, message: e.message } }), {
		status: e.status,
		headers: {
			'content-type': 'application/json',
			'cache-control': 'no-store',
			// The unread rest of a refused upload would stall the next request on this connection.
			...(e.status === 413 ? { connection: 'close' } : {}),
			...extra
		}
	});
}

// Refusals are logged, at most 60 lines a minute (a misconfigured fleet retries all day).
let logWindow = 0;
let logged = 0;
function logRefusal(ip: string, what: string) {
	const minute = Math.floor(Date.now() / 60_000);
	if (minute !== logWindow) {
		if (logged > 60) console.warn(`ocs: ${logged - 60} more refusals in the last minute were not logged`);
		logWindow = minute;
		logged = 0;
	}
	if (++logged <= 60) console.warn(`ocs: refused a request from ${ip || 'unknown address'}: ${what}`);
}

async function readBody(request: Request): Promise<Uint8Array> {
	const declared = Number(request.headers.get('content-length'));
	const tooLarge = () =>
		new OcsRefused(
			413,
			`The request body is larger than ${MAX_OCS_BODY_BYTES / 2 ** 20} MB (compressed); it was refused.`,
			'body too large'
		);
	if (Number.isFinite(declared) && declared > MAX_OCS_BODY_BYTES) throw tooLarge();
	if (!request.body) return new Uint8Array();
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = request.body.getReader();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.byteLength;
			if (size > MAX_OCS_BODY_BYTES) throw tooLarge();
			chunks.push(value);
		}
	} catch (e) {
		if (e instanceof OcsRefused) throw e;
		if ((e as { status?: number }).status === 413) throw tooLarge();
		throw new OcsRefused(
			400,
			'The request body could not be read completely; send it again.',
			'body cut short'
		);
	}
	return Buffer.concat(chunks);
}

function tagOf(content: OcsContent): string | null {
	const tag = content.get('ACCOUNTINFO')?.find((a) => a.KEYNAME === 'TAG')?.KEYVALUE;
	return tag ? tag.slice(0, 200) : null;
}

async function prolog(ctx: OcsContext, deviceId: string, contact: Contact): Promise<Response> {
	const host = await findOcsHost(ctx.db, deviceId);
	if (host) await touchProlog(ctx.db, host.id, contact);
	const periodMs = ctx.config.agent.inventoryIntervalHours * 3_600_000;
	const last = host?.lastInventoryAt?.getTime();
	const send = last === undefined || Date.now() - last >= periodMs;
	return compressedResponse(prologReply(send, ctx.config.agent.inventoryIntervalHours));
}

async function inventory(ctx: OcsContext, deviceId: string, content: OcsContent, contact: Contact) {
	// Mapped (and so validated) before anything is written: a report that cannot be read changes nothing.
	const inv = mapOcsInventory(content);
	const { host, deviceName } = await ensureOcsHost(
		ctx.db,
		{
			ocsDeviceId: deviceId,
			hostname: inv.system.hostname,
			tag: tagOf(content),
			group: ctx.config.ocs.group
		},
		contact
	);
	const out = await applyInventory(
		ctx.db,
		{
			key: ocsKey(deviceId),
			name: inv.system.hostname || deviceName,
			deviceId: host.deviceId,
			source: 'ocs'
		},
		inv,
		{ actor: { id: null, name: `ocs:${inv.system.hostname}`, ip: contact.ip } }
	);
	await markInventoried(ctx.db, host.id);
	if (out.changed)
		console.log(
			`ocs: inventory of ${inv.system.hostname} (${deviceId}): ${out.result.rowsWritten} CMDB rows written` +
				(out.sectionsChanged.length ? `, sections changed: ${out.sectionsChanged.join(', ')}` : '')
		);
	return compressedResponse(inventoryReply());
}

export async function handleOcsRequest(ctx: OcsContext): Promise<Response> {
	const { request, config, ip } = ctx;
	try {
		if (!ocsEnabled(config))
			throw new OcsRefused(
				404,
				'The OCS Inventory endpoint is off: set FLEETDESK_OCS_PASSWORD on the Fleetdesk server to turn it on (docs/ocs.md).',
				'ocs endpoint off'
			);
		const authorization = request.headers.get('authorization');
		if (!ocsCredentialsValid(config, authorization)) {
			// ocsinventory-agent (LWP) always asks once without credentials and answers the challenge: not a refusal.
			if (authorization) logRefusal(ip, 'wrong user name or password');
			return errorResponse(
				new OcsRefused(
					401,
					`Sign in with HTTP Basic authentication (user "${config.ocs.user}", realm "${config.ocs.realm}"): ocsinventory-agent --user, --password and --realm.`,
					authorization ? 'wrong credentials' : 'credentials required'
				),
				{ 'www-authenticate': ocsChallenge(config) }
			);
		}
		const type = request.headers.get('content-type') ?? '';
		if (!/^application\/x-compress(ed)?\s*(;|$)/i.test(type))
			throw new OcsRefused(
				415,
				`OCS requests are zlib-compressed XML sent as Content-Type: application/x-compress${type ? ` (not ${type.split(';')[0].slice(0, 60)})` : ''}.`,
				'wrong content type'
			);
		const req = parseRequest(await parseXml(await inflateBody(await readBody(request))));
		const contact: Contact = { ip, userAgent: request.headers.get('user-agent') ?? '' };
		return req.query === 'PROLOG'
			? await prolog(ctx, req.deviceId, contact)
			: await inventory(ctx, req.deviceId, req.content, contact);
	} catch (e) {
		if (e instanceof OcsRefused) {
			if (e.status !== 404) logRefusal(ip, `${e.reason}: ${e.message}`);
			return errorResponse(e);
		}
		if (e instanceof UserError) {
			logRefusal(ip, e.message);
			return errorResponse(new OcsRefused(400, e.message, 'bad inventory'));
		}
		console.error('ocs: request failed:', e);
		return new Response(
			JSON.stringify({
				error: {
					code: 'server error',
					message: 'The server failed to handle this OCS request; the error is in its log.'
				}
			}),
			{ status: 500, headers: { 'content-type': 'application/json' } }
		);
	}
}
