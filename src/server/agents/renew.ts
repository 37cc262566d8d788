// Agent certificate renewal over the live link. The agent makes a new key pair and sends a CSR when a third
// of its certificate's life is left, or when an administrator asks (desktop or `fleetdesk agent renew`). The
// agent id stays; the certificate it presented on this link is accepted until it first connects with the new
// one, so a crash between our commit and the agent's write cannot lock it out.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { runtime } from '../runtime';
import { certRenewalDue, certRenewRequest, type CertRenewAck } from '../../lib/protocol/agent';
import { registerLinkModule } from './link';
import { issueAgentCertificate } from './pki';
import { getAgent, type AgentRow } from './registry';

/** One renewal per agent at a time, and not more often than this unless an administrator asked. */
const MIN_RENEW_INTERVAL_MS = 10 * 60_000;

export type RenewOutcome = { ok: true; certificate: string; serial: string } | { ok: false; error: string };

/** Whether the server lets this agent renew now, and if not, why (what the agent is told). */
export function renewalRefusal(a: AgentRow, presented: string, now = new Date()): string | null {
	if (a.revokedAt) return 'This agent is revoked.';
	if (presented !== a.certFingerprint && presented !== a.prevCertFingerprint)
		return 'The certificate on this link is not the agent’s current one.';
	if (a.certRenewRequestedAt) return null;
	const issued = a.certIssuedAt ?? a.enrolledAt;
	if (now.getTime() - issued.getTime() < MIN_RENEW_INTERVAL_MS)
		return 'The certificate was issued minutes ago; it is not due for renewal.';
	// Still on the certificate a renewal replaced: the agent never stored the new one, so it may renew again
	// (the current certificate's dates say nothing about the one it holds).
	if (presented === a.prevCertFingerprint) return null;
	if (!certRenewalDue(issued, a.certNotAfter, now))
		return `The certificate is not due for renewal before the last third of its life (valid until ${a.certNotAfter.toISOString()}).`;
	return null;
}

/**
 * Issues a new certificate for `agentId` from its CSR, if the link's certificate (`presented`, SHA-256
 * fingerprint as Node formats it) is the agent's and renewal is due or was asked for. Audited either way.
 */
export async function renewAgentCertificate(
	db: Db,
	agentId: string,
	presented: string,
	csr: string,
	ip: string
): Promise<RenewOutcome> {
	const a = await getAgent(db, agentId);
	const actor: Actor = { id: null, name: `agent:${a.hostname}`, ip };
	const refuse = async (error: string): Promise<RenewOutcome> => {
		await audit(db, actor, {
			action: 'agent.cert-renew-refused',
			targetType: 'agent',
			targetId: agentId,
			targetName: a.hostname,
			after: { reason: error }
		});
		return { ok: false, error };
	};
	const why = renewalRefusal(a, presented);
	if (why) return refuse(why);
	let cert;
	try {
		cert = await issueAgentCertificate(db, runtime().config, csr, agentId);
	} catch (e) {
		if (e instanceof UserError) return refuse(e.message);
		throw e;
	}
	const now = new Date();
	// Only if nothing changed meanwhile (a concurrent renewal, a revocation): compare and set.
	const [row] = await db
		.update(agents)
		.set({
			certSerial: cert.serial,
			certFingerprint: cert.fingerprint,
			certNotAfter: cert.notAfter,
			certificate: cert.pem,
			certIssuedAt: now,
			prevCertFingerprint: presented,
			certRenewRequestedAt: null
		})
		.where(and(eq(agents.id, agentId), eq(agents.certSerial, a.certSerial), isNull(agents.revokedAt)))
		.returning({ id: agents.id });
	if (!row) return refuse('The agent’s certificate changed meanwhile (another renewal or a revocation).');
	await audit(db, actor, {
		action: 'agent.cert-renew',
		targetType: 'agent',
		targetId: agentId,
		targetName: a.hostname,
		before: { certSerial: a.certSerial, certNotAfter: a.certNotAfter.toISOString() },
		after: {
			certSerial: cert.serial,
			certNotAfter: cert.notAfter.toISOString(),
			requestedBy: a.certRenewRequestedAt ? 'administrator' : 'agent (due)'
		}
	});
	console.log(
		`agent gateway: renewed the certificate of agent ${agentId} (${a.hostname}), valid until ${cert.notAfter.toISOString()}`
	);
	return { ok: true, certificate: cert.pem, serial: cert.serial };
}

/** The agent asks on its link; one request at a time per link. */
registerLinkModule({
	name: 'cert-renew',
	events: ['cert:renew'],
	attach(socket, { db }) {
		const d = socket.data;
		let busy = false;
		socket.on('cert:renew', async (m, ack) => {
			if (typeof ack !== 'function') return;
			const reply = (a: CertRenewAck) => ack(a);
			const p = certRenewRequest.safeParse(m);
			if (!p.success) return reply({ ok: false, error: 'The renewal request is malformed.' });
			if (busy) return reply({ ok: false, error: 'A renewal is already in progress on this link.' });
			busy = true;
			try {
				const r = await renewAgentCertificate(
					db,
					d.agentId,
					d.certFingerprint,
					p.data.csr,
					socket.handshake.address
				);
				reply(r.ok ? { ok: true, certificate: r.certificate } : r);
			} catch (e) {
				console.error(`agent gateway: renewing the certificate of ${d.agentId} failed:`, e);
				reply({ ok: false, error: 'The server could not renew the certificate; it will be tried again.' });
			} finally {
				busy = false;
			}
		});
	}
});
