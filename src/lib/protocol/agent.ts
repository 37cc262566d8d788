// The agent link: enrolment over HTTPS and the Socket.IO namespace /agent over mutual TLS. Shared by the
// server and the agent (which bundles this file), so both sides validate the same shapes.
import { z } from 'zod';
import { inventoryReportSchema } from './inventory';
import { metricsReportSchema } from './metrics';
import { taskStatusSchema, type SignedTask } from './tasks';
import type { ConsoleAgentToServerEvents, ConsoleServerToAgentEvents } from './consoles';
import { LOGS_REPORT_BODIES, type LogsAgentToServerEvents, type LogsServerToAgentEvents } from './logs';

export const AGENT_PROTOCOL_VERSION = 1;
export const AGENT_NAMESPACE = '/agent';
/** The agent certificate's SAN URI (and CN) is this prefix + the agent id. */
export const AGENT_URI_PREFIX = 'urn:fleetdesk:agent:';
/** The largest message either side accepts on the link (Socket.IO maxHttpBufferSize). */
export const MAX_AGENT_MESSAGE_BYTES = 1_000_000;
/** The largest enrolment request body. */
export const MAX_ENROLL_BODY_BYTES = 64 * 1024;
export const ENROLL_PATH = '/enroll';

// ------------------------------------------------------------------ join tokens

/**
 * `fdj1.<token id>.<secret>.<CA pin>`: the id finds the token, only SHA-256 of the secret is stored, and the
 * pin (base64url SHA-256 of the CA certificate's SubjectPublicKeyInfo) lets the agent check that it talks to
 * the right server before it sends the secret.
 */
const JOIN_TOKEN_RE = /^fdj1\.([a-z2-7]{16})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

export interface JoinTokenParts {
	tokenId: string;
	secret: string;
	caPin: string;
}

export function parseJoinToken(token: string): JoinTokenParts | null {
	const m = JOIN_TOKEN_RE.exec(token.trim());
	return m ? { tokenId: m[1], secret: m[2], caPin: m[3] } : null;
}

export function formatJoinToken(p: JoinTokenParts): string {
	return `fdj1.${p.tokenId}.${p.secret}.${p.caPin}`;
}

// ------------------------------------------------------------------ enrolment

export const agentHostname = z
	.string()
	.trim()
	.min(1, 'hostname is empty')
	.max(253)
	.regex(
		/^[A-Za-z0-9][A-Za-z0-9._-]*$/,
		'hostname may contain only letters, digits, dot, dash and underscore'
	);

export const agentOs = z.object({
	platform: z.string().max(40),
	release: z.string().max(100),
	arch: z.string().max(20)
});
export type AgentOs = z.infer<typeof agentOs>;

export const enrollRequest = z.object({
	token: z.string().max(200),
	/** PKCS#10 request, PEM; its key must be ECDSA P-256. Only the public key and signature are used. */
	csr: z.string().max(8000),
	hostname: agentHostname,
	agentVersion: z.string().max(40),
	os: agentOs
});
export type EnrollRequest = z.infer<typeof enrollRequest>;

export const enrollResponse = z.object({
	agentId: z.uuid(),
	deviceName: z.string(),
	certificate: z.string(),
	caCertificate: z.string(),
	/** Ed25519 public key (SPKI PEM) that every task envelope is signed with. */
	taskSigningPublicKey: z.string()
});
export type EnrollResponse = z.infer<typeof enrollResponse>;

/** The body of any refused enrolment (HTTP 4xx). */
export interface EnrollError {
	error: string;
}

// ------------------------------------------------------------------ the link

export const helloMessage = z.object({
	agentId: z.uuid(),
	agentVersion: z.string().max(40),
	hostname: agentHostname,
	os: agentOs,
	protocol: z.number().int(),
	/** Reports dropped since the agent started because its buffer was full. */
	dropped: z.number().int().min(0)
});
export type HelloMessage = z.infer<typeof helloMessage>;

/** What the server decides for all agents, sent with every hello acknowledgement. */
export interface AgentSettings {
	/** Full inventory every N hours, first at a random offset in [0, N) after the agent starts. */
	inventoryIntervalHours: number;
	/**
	 * Pipe output this link may have in flight before the server reports it received (`pipe:received`); absent
	 * from a server that sends no such reports, and then the agent is bounded only by its socket's queue.
	 */
	consoleOutputWindowBytes?: number;
}

export type HelloAck =
	| {
			ok: true;
			/** The highest report sequence the server has applied for this agent. */
			lastSeq: number;
			serverTime: string;
			maxMessageBytes: number;
			settings: AgentSettings;
			/** An administrator asked for a new certificate: renew it now (see `cert:renew`). */
			renewCertificate?: boolean;
	  }
	| { ok: false; error: string };

export const heartbeatMessage = z.object({
	uptimeSec: z.number().min(0),
	buffered: z.number().int().min(0),
	dropped: z.number().int().min(0)
});
export type HeartbeatMessage = z.infer<typeof heartbeatMessage>;

/**
 * What an agent reports, by kind. The server refuses a kind not listed here; each kind's body is validated
 * with its schema. Other modules (tasks, inventory, metrics) add their kinds here.
 */
export const REPORT_BODIES = {
	/** Something the agent wants on record: started, buffer overflowed, config problem. */
	event: z.object({
		level: z.enum(['info', 'warning', 'error']),
		message: z.string().max(2000)
	}),
	/** A task's progress and outcome: running (with output deltas), then succeeded/failed/refused/timed-out. */
	'task-status': taskStatusSchema,
	/** Hardware and software inventory, full or the sections that changed. */
	inventory: inventoryReportSchema,
	/** Resource samples (CPU, memory, swap, filesystems, load); see docs/metrics.md. */
	metrics: metricsReportSchema,
	/** Pattern-rule matches in log files and changed watched files (protocol/logs.ts). */
	...LOGS_REPORT_BODIES
} as const;
export type ReportKind = keyof typeof REPORT_BODIES;
export type ReportBody<K extends ReportKind> = z.infer<(typeof REPORT_BODIES)[K]>;

export function isReportKind(k: string): k is ReportKind {
	return Object.prototype.hasOwnProperty.call(REPORT_BODIES, k);
}

/** Every report carries the sender's id and its sequence number; the server drops (agent, seq) it has seen. */
export const reportEnvelope = z.object({
	agentId: z.uuid(),
	seq: z.number().int().positive(),
	kind: z.string().max(40),
	/** When the agent produced it (ISO 8601). */
	at: z.iso.datetime({ offset: true }),
	body: z.unknown()
});
export type ReportEnvelope = z.infer<typeof reportEnvelope>;

/** `retry`: the server failed (try again later); otherwise the report was refused and will never be accepted. */
export type ReportAck = { ok: true; duplicate: boolean } | { ok: false; error: string; retry: boolean };

// ------------------------------------------------------------------ certificate renewal

/**
 * An agent renews its client certificate over its live link, with a new key pair, when a third of the
 * certificate's life is left (or when an administrator asks). The identity (agent id) stays; the old
 * certificate is accepted only until the agent connects with the new one.
 */
export const certRenewRequest = z.object({
	/** PKCS#10 request for a new ECDSA P-256 key, PEM. */
	csr: z.string().max(8000)
});
export type CertRenewRequest = z.infer<typeof certRenewRequest>;
export type CertRenewAck = { ok: true; certificate: string } | { ok: false; error: string };

/** The part of its certificate's life (0–1) left when an agent renews it on its own. */
export const CERT_RENEW_AT_REMAINING = 1 / 3;

/** True when a certificate valid from `notBefore` to `notAfter` should be renewed at `now`. */
export function certRenewalDue(notBefore: Date, notAfter: Date, now = new Date()): boolean {
	const life = notAfter.getTime() - notBefore.getTime();
	return life <= 0 || notAfter.getTime() - now.getTime() <= life * CERT_RENEW_AT_REMAINING;
}

/** Agent → server events on /agent (consoles and logs add theirs in their own protocol files). */
export interface AgentToServerEvents extends ConsoleAgentToServerEvents, LogsAgentToServerEvents {
	hello: (m: HelloMessage, ack: (a: HelloAck) => void) => void;
	heartbeat: (m: HeartbeatMessage) => void;
	report: (r: ReportEnvelope, ack: (a: ReportAck) => void) => void;
	/** A new certificate for a new key; the agent reconnects with it at once. */
	'cert:renew': (m: CertRenewRequest, ack: (a: CertRenewAck) => void) => void;
}

/** Server → agent events on /agent. */
export interface ServerToAgentEvents extends ConsoleServerToAgentEvents, LogsServerToAgentEvents {
	/** Sent just before the server closes the link on purpose (revoked, replaced, shutting down). */
	'link:closing': (m: { reason: string; code: 'revoked' | 'shutdown' | 'refused' }) => void;
	/**
	 * A signed task. The ack only says the agent received it (`accepted`: it passed the checks and runs;
	 * otherwise the refusal); the outcome comes back as `task-status` reports.
	 */
	task: (t: SignedTask, ack: (a: TaskDeliveryAck) => void) => void;
	/** The server has no base for inventory deltas from this agent: send a full inventory next time. */
	'inventory:full': () => void;
	/** An administrator asked for a new certificate now (not waiting for the last third of its life). */
	'cert:renew-now': () => void;
}

export type TaskDeliveryAck = { accepted: true } | { accepted: false; reason: string };

/** The reasons a connection is refused, as `connect_error` data: the agent stops for good on 'revoked'. */
export type LinkRefusal = { code: 'revoked' | 'unknown-agent' | 'already-connected' | 'no-certificate' };

// ------------------------------------------------------------------ desktop live events

/** /desktop room joined by users who may see agents (agents.read); agent state changes go there. */
export const FLEET_ROOM = 'fleet';

export interface AgentStatusEvent {
	agentId: string;
	deviceId: number | null;
	online: boolean;
	revoked: boolean;
	lastSeenAt: string | null;
}

/** Sent on /desktop to FLEET_ROOM whenever a task changes state (and with live output while it runs). */
export interface TaskUpdateEvent {
	id: string;
	agentId: string;
	deviceId: number | null;
	kind: string;
	state: 'queued' | 'running' | 'succeeded' | 'failed' | 'refused' | 'timed-out';
	/** Output since the previous update, while running. */
	stdoutDelta?: string;
	stderrDelta?: string;
	/** One line on what went wrong (failed, refused, timed-out). */
	error?: string | null;
	finishedAt?: string | null;
}

/** Sent on /desktop to FLEET_ROOM when a host's inventory has been taken into the CMDB. */
export interface InventoryUpdateEvent {
	/** The Device CI's key: the agent id, or 'ocs:<DEVICEID>'. */
	key: string;
	deviceId: number | null;
	/** False when the report only confirmed what the CMDB already held. */
	changed: boolean;
}
