// Forwarders as an administrator manages them (logs.manage): each change is audited; a bearer token is sealed
// with the master key and never shown again.
import crypto from 'node:crypto';
import { z } from 'zod';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accessLogForwarders } from '../../db/schema';
import { seal, unseal } from '../../agents/secret';
import { audit, type Actor } from '../../audit/audit';
import { UserError } from '../../errors';
import { sealingKey } from '../key';
import { rawQuery } from '../raw';
import { makeSender } from './senders';
import { tokenLabel } from './worker';

const host = z
	.string()
	.trim()
	.min(1, 'The host is required')
	.max(253)
	.regex(/^[A-Za-z0-9.:_[\]-]+$/, 'The host is a name or an IP address');
const caPem = z
	.string()
	.max(64 * 1024, 'A CA certificate is at most 64 KiB')
	.refine(validCa, 'The CA is not a PEM certificate (-----BEGIN CERTIFICATE----- …)');

function validCa(pem: string): boolean {
	const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
	if (!blocks) return false;
	try {
		for (const b of blocks) new crypto.X509Certificate(b);
		return true;
	} catch {
		return false;
	}
}

/** A token (no spaces), or "Scheme credentials": nothing that could end the header or add another. */
const AUTHORIZATION = /^(?:[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* )?[\x21-\x7e]+$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Headers the forwarder sets itself, or that would change how the request is framed or routed. */
const RESERVED_HEADERS = new Set([
	'host',
	'content-length',
	'content-type',
	'transfer-encoding',
	'connection',
	'keep-alive',
	'upgrade',
	'te',
	'trailer',
	'expect',
	'proxy-authorization',
	'proxy-connection'
]);
const MAX_HEADERS = 20;

const headerName = z
	.string()
	.trim()
	.min(1, 'A header needs a name')
	.max(100, 'A header name is at most 100 characters')
	.regex(HEADER_NAME, 'A header name has letters, digits and - only (no spaces or colons)')
	.refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), {
		message: 'Fleetdesk sets this header itself (Host, Content-Type, Content-Length, …): choose another name'
	});
const header = z.object({
	name: headerName.refine((n) => n.toLowerCase() !== 'authorization', {
		message: 'Put the Authorization header in the token field (it is kept sealed)'
	}),
	value: z
		.string()
		.trim()
		.max(2000, 'A header value is at most 2000 characters')
		.regex(/^[\x20-\x7e]*$/, 'A header value is one line of printable ASCII')
});

export const forwarderFields = z.object({
	name: z.string().trim().min(1, 'Give the forwarder a name').max(100, 'A name is at most 100 characters'),
	kind: z.enum(['syslog-tcp', 'syslog-tls', 'https'], 'The kind is syslog-tcp, syslog-tls or https'),
	host: host.nullish(),
	port: z.number().int().min(1, 'Ports are 1–65535').max(65535, 'Ports are 1–65535').nullish(),
	url: z
		.url('The URL is not valid')
		.max(2000)
		.refine((u) => u.startsWith('https://'), 'The URL must start with https://')
		.nullish(),
	caPem: caPem.nullish(),
	/** syslog-tls: the name the server's certificate must carry, when it differs from the host (e.g. an IP). */
	serverName: host.nullish(),
	/**
	 * HTTPS: a bare token is sent as "Authorization: Bearer TOKEN"; "SCHEME CREDENTIALS" (e.g. "Splunk 1234…"
	 * for a Splunk HTTP Event Collector, "ApiKey …" for Elasticsearch) is sent as it is. Null removes it,
	 * leaving it out keeps the stored one.
	 */
	token: z
		.string()
		.trim()
		.min(1)
		.max(4096)
		.regex(
			AUTHORIZATION,
			'Give a token, or a scheme and credentials separated by one space (e.g. "Splunk 1234-abcd")'
		)
		.nullish(),
	/** HTTPS: the header that carries the token, e.g. DD-API-KEY or X-API-Key; null: Authorization. */
	tokenHeader: headerName.nullish(),
	/** HTTPS: more headers, e.g. X-Scope-OrgID for a Grafana Loki tenant; not secret (use the token for that). */
	headers: z
		.array(header)
		.max(MAX_HEADERS, `At most ${MAX_HEADERS} headers`)
		.refine((hs) => new Set(hs.map((h) => h.name.toLowerCase())).size === hs.length, {
			message: 'A header is named twice'
		})
		.optional(),
	facility: z.number().int().min(0).max(23, 'The syslog facility is 0–23'),
	maxMessageBytes: z
		.number()
		.int()
		.min(480)
		.max(1024 * 1024),
	enabled: z.boolean()
});
/** A change: only the fields given change (no defaults). */
export const forwarderPatch = forwarderFields.partial();
export const createForwarderInput = forwarderFields.extend({
	facility: forwarderFields.shape.facility.default(10),
	maxMessageBytes: forwarderFields.shape.maxMessageBytes.default(8192),
	enabled: z.boolean().default(true),
	/** 'now': only records written from now on; 'beginning': every record already stored too. */
	startAt: z.enum(['now', 'beginning']).default('now')
});
export type CreateForwarder = z.output<typeof createForwarderInput>;
export type ForwarderPatch = z.output<typeof forwarderPatch>;

/** A bad field, reported the way input validation reports it ("url: …"), so forms show it at the field. */
function fieldError(field: string, message: string): never {
	throw new UserError(`${field}: ${message}`);
}

function checkTarget(f: {
	kind: string;
	host?: string | null;
	port?: number | null;
	url?: string | null;
	tokenHeader?: string | null;
	headers?: { name: string }[] | null;
}) {
	if (f.kind === 'https' && !f.url) fieldError('url', 'An HTTPS forwarder needs a URL (https://…)');
	if (f.kind !== 'https' && (f.headers?.length || f.tokenHeader))
		fieldError(f.headers?.length ? 'headers' : 'tokenHeader', 'Headers apply to HTTPS forwarders only');
	const tokenHeader = f.tokenHeader?.toLowerCase();
	if (tokenHeader && f.headers?.some((h) => h.name.toLowerCase() === tokenHeader))
		fieldError('headers', `${f.tokenHeader} carries the token, so it cannot be set here too`);
	if (f.kind !== 'https' && !f.host) fieldError('host', 'A syslog forwarder needs a host');
	if (f.kind !== 'https' && !f.port)
		fieldError('port', 'A syslog forwarder needs a port (e.g. 6514 for TLS, 601 for TCP)');
}

type Row = typeof accessLogForwarders.$inferSelect;

export type ForwarderState = 'disabled' | 'waiting' | 'error' | 'connected' | 'ready';

interface Pending {
	/** Records not yet delivered, over how many consoles, and the time of the oldest. */
	behind: number;
	consolesBehind: number;
	oldestPendingAt: Date | null;
}

function stateOf(r: Row, node: string | null): ForwarderState {
	if (!r.enabled) return 'disabled';
	if (!node) return 'waiting';
	if (r.lastError && !r.connectedSince) return 'error';
	return r.connectedSince ? 'connected' : 'ready';
}

/** What the desktop shows (never the token). */
function view(r: Row, p: Pending) {
	const node = r.leaseUntil && r.leaseUntil > new Date() ? r.leaseNode : null;
	return {
		id: r.id,
		name: r.name,
		kind: r.kind,
		host: r.host,
		port: r.port,
		url: r.url,
		caPem: r.caPem,
		serverName: r.serverName,
		hasToken: !!r.token,
		tokenHeader: r.tokenHeader,
		headers: r.headers,
		facility: r.facility,
		maxMessageBytes: r.maxMessageBytes,
		enabled: r.enabled,
		/** The app node forwarding now (null: none holds it). */
		node,
		state: stateOf(r, node),
		connectedSince: r.connectedSince,
		lastError: r.lastError,
		lastErrorAt: r.lastErrorAt,
		lastSentAt: r.lastSentAt,
		sentRecords: r.sentRecords,
		...p
	};
}
export type ForwarderView = ReturnType<typeof view>;

function audited(r: Row) {
	const {
		token,
		leaseNode,
		leaseUntil,
		lastError,
		lastErrorAt,
		lastSentAt,
		sentRecords,
		connectedSince,
		...rest
	} = r;
	void [leaseNode, leaseUntil, lastError, lastErrorAt, lastSentAt, sentRecords, connectedSince];
	return { ...rest, caPem: rest.caPem ? '(set)' : null, token: token ? '(set)' : null };
}

async function behind(db: Db, id: number): Promise<Pending> {
	const [r] = await rawQuery<{ n: string | number | null; c: string | number; oldest: Date | string | null }>(
		db,
		`with p as (
			select h.console_id, h.last_seq - greatest(coalesce(c.seq, 0), h.first_seq - 1) as pending,
				greatest(coalesce(c.seq, 0), h.first_seq - 1) + 1 as next
			from access_log_heads h
			left join access_log_forward_cursors c on c.forwarder_id = $1 and c.console_id = h.console_id)
		select sum(p.pending) as n, count(*) filter (where p.pending > 0) as c, min(r.at) as oldest from p
		left join access_log_records r on p.pending > 0 and r.console_id = p.console_id and r.seq = p.next`,
		[id]
	);
	return {
		behind: Number(r?.n ?? 0),
		consolesBehind: Number(r?.c ?? 0),
		oldestPendingAt: r?.oldest ? new Date(r.oldest) : null
	};
}

export async function listForwarders(db: Db): Promise<ForwarderView[]> {
	const rows = await db.select().from(accessLogForwarders).orderBy(accessLogForwarders.name);
	return Promise.all(rows.map(async (r) => view(r, await behind(db, r.id))));
}

async function getRow(db: Db, id: number): Promise<Row> {
	const [r] = await db.select().from(accessLogForwarders).where(eq(accessLogForwarders.id, id));
	if (!r) throw new UserError(`There is no forwarder ${id}.`, 'NOT_FOUND');
	return r;
}

function sealed(id: number, token: string) {
	const mk = sealingKey();
	return { keyId: mk.id, sealed: seal(mk, Buffer.from(token, 'utf8'), tokenLabel(id)) };
}

async function nameTaken(db: Db, name: string, except?: number): Promise<void> {
	const [r] = await db
		.select({ id: accessLogForwarders.id })
		.from(accessLogForwarders)
		.where(eq(accessLogForwarders.name, name));
	if (r && r.id !== except) throw new UserError(`A forwarder named "${name}" exists already.`, 'CONFLICT');
}

export async function createForwarder(db: Db, actor: Actor, input: CreateForwarder): Promise<ForwarderView> {
	checkTarget(input);
	await nameTaken(db, input.name);
	const { token, startAt, ...fields } = input;
	const [r] = await db
		.insert(accessLogForwarders)
		.values({ ...fields, createdBy: actor.id })
		.returning();
	let row = r;
	if (token) {
		[row] = await db
			.update(accessLogForwarders)
			.set({ token: sealed(r.id, token) })
			.where(eq(accessLogForwarders.id, r.id))
			.returning();
	}
	if (startAt === 'now')
		await rawQuery(
			db,
			`insert into access_log_forward_cursors (forwarder_id, console_id, seq)
			select $1, console_id, last_seq from access_log_heads`,
			[r.id]
		);
	await audit(db, actor, {
		action: 'accessLog.forwarder.create',
		targetType: 'accessLogForwarder',
		targetId: r.id,
		targetName: r.name,
		after: { ...audited(row), startAt }
	});
	return view(row, await behind(db, r.id));
}

export async function updateForwarder(
	db: Db,
	actor: Actor,
	id: number,
	patch: ForwarderPatch
): Promise<ForwarderView> {
	const before = await getRow(db, id);
	const next = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
	checkTarget(next);
	if (patch.name) await nameTaken(db, patch.name, id);
	const { token, ...fields } = patch;
	const [row] = await db
		.update(accessLogForwarders)
		.set({
			...fields,
			...(token === undefined ? {} : { token: token === null ? null : sealed(id, token) }),
			// A changed forwarder restarts its worker on the node that holds it.
			updatedAt: new Date()
		})
		.where(eq(accessLogForwarders.id, id))
		.returning();
	await audit(db, actor, {
		action: 'accessLog.forwarder.update',
		targetType: 'accessLogForwarder',
		targetId: id,
		targetName: row.name,
		before: audited(before),
		after: audited(row)
	});
	return view(row, await behind(db, id));
}

export async function deleteForwarder(db: Db, actor: Actor, id: number): Promise<void> {
	const before = await getRow(db, id);
	await db.delete(accessLogForwarders).where(eq(accessLogForwarders.id, id));
	await audit(db, actor, {
		action: 'accessLog.forwarder.delete',
		targetType: 'accessLogForwarder',
		targetId: id,
		targetName: before.name,
		before: audited(before)
	});
}

export const testForwarderInput = z.object({
	/** A saved forwarder: its settings, with `draft` (what the form holds) over them. */
	id: z.number().int().positive('That is not a forwarder').optional(),
	draft: forwarderPatch.optional()
});

/**
 * Connects with the forwarder's settings (saved, or as the form has them) and sends one test message: a
 * syslog message with msgid "test", or an HTTPS POST with no records. Nothing is stored or audited.
 */
export async function testForwarder(
	db: Db,
	input: z.output<typeof testForwarderInput>
): Promise<{ ok: boolean; message: string; ms: number }> {
	const saved = input.id === undefined ? null : await getRow(db, input.id);
	const d = Object.fromEntries(Object.entries(input.draft ?? {}).filter(([, v]) => v !== undefined));
	const t = { facility: 10, maxMessageBytes: 8192, ...saved, ...d } as Partial<Row> & {
		kind?: Row['kind'];
		token?: unknown;
	};
	const kind = t.kind;
	if (!kind) return fieldError('kind', 'Choose the kind of forwarder');
	checkTarget({ ...t, kind });
	let token: string | null = null;
	if (typeof d.token === 'string') token = d.token;
	else if (d.token === undefined && saved?.token)
		token = unseal(sealingKey(), saved.token.sealed, tokenLabel(saved.id), saved.token.keyId).toString(
			'utf8'
		);
	const sender = makeSender({
		kind,
		host: t.host ?? null,
		port: t.port ?? null,
		url: t.url ?? null,
		caPem: t.caPem ?? null,
		serverName: t.serverName ?? null,
		token,
		tokenHeader: t.tokenHeader ?? null,
		headers: t.headers ?? [],
		facility: t.facility ?? 10,
		maxMessageBytes: t.maxMessageBytes ?? 8192
	});
	const started = Date.now();
	try {
		await sender.probe(String(t.name ?? 'test'), 500);
		const ms = Date.now() - started;
		return { ok: true, ms, message: `The endpoint took the test message (${ms} ms).` };
	} catch (e) {
		return { ok: false, ms: Date.now() - started, message: `The test failed: ${(e as Error).message}` };
	} finally {
		sender.close();
	}
}
