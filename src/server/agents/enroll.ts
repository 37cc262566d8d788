// Enrolment: a join token and a CSR in, a client certificate out; the agent record, its Device CI, its row
// in `devices` and its group membership are written in one transaction, or nothing is.
import crypto from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, deviceGroupMembers, deviceGroups, devices, joinTokens } from '../db/schema';
import type { Config } from '../env';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { createCi } from '../cmdb/cis';
import {
	enrollRequest,
	parseJoinToken,
	type EnrollRequest,
	type EnrollResponse
} from '../../lib/protocol/agent';
import { caInfo, issueAgentCertificate, taskSigningPublicKeyPem } from './pki';
import { secretMatches, tokenState } from './tokens';

/** A refused enrolment: `status` is the HTTP status the gateway answers with. */
export class EnrollRefused extends UserError {
	constructor(
		message: string,
		readonly status: number,
		readonly reason: string
	) {
		super(message, status === 400 ? 'BAD_REQUEST' : 'FORBIDDEN');
	}
}

const TOKEN_REFUSED =
	'The join token is not valid (wrong, expired, used up or revoked). Create a new one with `fleetdesk token create`.';

function tx<T>(db: Db, fn: (t: Db) => Promise<T>): Promise<T> {
	return db.transaction(async (t) => fn(t as unknown as Db));
}

async function refuse(
	db: Db,
	ip: string,
	reason: string,
	detail: { tokenId?: string; hostname?: string; group?: string },
	message: string,
	status = 403
): Promise<never> {
	await audit(
		db,
		{ id: null, name: 'agent enrolment', ip },
		{
			action: 'agent.enroll-refused',
			targetType: 'join-token',
			targetId: detail.tokenId ?? '',
			targetName: detail.group ?? '',
			after: { reason, hostname: detail.hostname ?? null }
		}
	);
	console.warn(
		`agent gateway: refused enrolment from ${ip || 'unknown address'}` +
			`${detail.hostname ? ` (host ${detail.hostname})` : ''}: ${reason}`
	);
	throw new EnrollRefused(message, status, reason);
}

/** Picks a free `devices.name` for the host: its name, or name-<id prefix> when a device already has it. */
async function deviceName(t: Db, hostname: string, agentId: string): Promise<string> {
	const base = hostname.slice(0, 100);
	const [taken] = await t.select({ id: devices.id }).from(devices).where(eq(devices.name, base));
	return taken ? `${base}-${agentId.slice(0, 8)}` : base;
}

export async function enrollAgent(
	db: Db,
	config: Pick<Config, 'secret' | 'dataDir'>,
	raw: unknown,
	ip: string
): Promise<EnrollResponse> {
	const parsed = enrollRequest.safeParse(raw);
	if (!parsed.success) {
		const host = (raw as { hostname?: unknown })?.hostname;
		return refuse(
			db,
			ip,
			`malformed request: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
			{ hostname: typeof host === 'string' ? host.slice(0, 100) : undefined },
			'The enrolment request is malformed: use the fleetdesk-agent program that matches this server.',
			400
		);
	}
	const req: EnrollRequest = parsed.data;
	const parts = parseJoinToken(req.token);
	if (!parts) return refuse(db, ip, 'malformed token', { hostname: req.hostname }, TOKEN_REFUSED);

	const check = async (t: Db, lock: boolean) => {
		const q = t.select().from(joinTokens).where(eq(joinTokens.id, parts.tokenId));
		const [tok] = lock ? await q.for('update') : await q;
		if (!tok || !secretMatches(tok.secretHash, parts.secret))
			return { refused: tok ? 'wrong secret' : 'unknown token' } as const;
		const state = tokenState(tok);
		if (state !== 'active') return { refused: `token ${state}`, tok } as const;
		return { tok } as const;
	};

	// Check before doing any signing work, then again under the row lock (two hosts racing for the last use).
	const pre = await check(db, false);
	if (pre.refused)
		return refuse(db, ip, pre.refused, { tokenId: parts.tokenId, hostname: req.hostname }, TOKEN_REFUSED);

	const agentId = crypto.randomUUID();
	let cert;
	try {
		cert = await issueAgentCertificate(db, config, req.csr, agentId);
	} catch (e) {
		if (!(e instanceof UserError)) throw e;
		return refuse(
			db,
			ip,
			`bad certificate request: ${e.message}`,
			{ tokenId: parts.tokenId, hostname: req.hostname },
			e.message,
			400
		);
	}
	const ca = await caInfo(db, config);
	const signingKey = await taskSigningPublicKeyPem(db, config);

	const outcome = await tx(db, async (t) => {
		const c = await check(t, true);
		if (c.refused) return { refused: c.refused };
		const tok = c.tok;
		const [group] = await t.select().from(deviceGroups).where(eq(deviceGroups.id, tok.groupId));
		await t
			.update(joinTokens)
			.set({ usesCount: sql`${joinTokens.usesCount} + 1`, lastUsedAt: new Date() })
			.where(eq(joinTokens.id, tok.id));
		const name = await deviceName(t, req.hostname, agentId);
		const [device] = await t
			.insert(devices)
			.values({ name, description: `Enrolled agent on ${req.hostname}` })
			.returning();
		const actor: Actor = { id: null, name: `agent:${req.hostname}`, ip };
		const ci = await createCi(
			t,
			{ actor, source: 'system', message: `Enrolled with join token ${tok.id}` },
			{ class: 'Device', name: req.hostname, data: { hostname: req.hostname, agentId } }
		);
		await t.insert(agents).values({
			id: agentId,
			hostname: req.hostname,
			deviceId: device.id,
			ciId: ci.id,
			tokenId: tok.id,
			certSerial: cert.serial,
			certFingerprint: cert.fingerprint,
			certNotAfter: cert.notAfter,
			certificate: cert.pem,
			agentVersion: req.agentVersion,
			os: req.os,
			enrolledFrom: ip
		});
		// "All devices" holds every device implicitly; any other group gets an explicit member.
		if (!group.allDevices)
			await t
				.insert(deviceGroupMembers)
				.values({ groupId: group.id, deviceId: device.id })
				.onConflictDoNothing();
		await audit(t, actor, {
			action: 'agent.enroll',
			targetType: 'agent',
			targetId: agentId,
			targetName: name,
			after: {
				token: tok.id,
				group: group.name,
				hostname: req.hostname,
				device: name,
				ci: ci.id,
				certSerial: cert.serial,
				usesLeft: tok.usesAllowed - tok.usesCount - 1
			}
		});
		return { deviceName: name, group: group.name };
	});
	if ('refused' in outcome && outcome.refused)
		return refuse(db, ip, outcome.refused, { tokenId: parts.tokenId, hostname: req.hostname }, TOKEN_REFUSED);
	console.log(
		`agent gateway: enrolled ${req.hostname} as agent ${agentId} (device ${outcome.deviceName}, group ${outcome.group})`
	);
	return {
		agentId,
		deviceName: outcome.deviceName!,
		certificate: cert.pem,
		caCertificate: ca.pem,
		taskSigningPublicKey: signingKey
	};
}
