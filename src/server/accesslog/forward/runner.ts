// Forwarding runs on one node per forwarder at a time (a lease in the forwarder's row, renewed while held).
// It follows every console's chain from a cursor kept in the database: records are sent in order, the cursor
// moves only once they count as delivered, and after an outage sending resumes from the cursor, so nothing is
// skipped (a receiver may see a record twice; console + seq identify it).
import type { Db } from '../../db/client';
import { hasRuntime, runtime } from '../../runtime';
import { rawQuery } from '../raw';
import { startAccessLogRetention } from '../retention-run';
import { Signal } from './signal';
import { Worker, type ForwarderRow } from './worker';

export interface ForwardingOptions {
	nodeId: string;
	/** How often an idle forwarder looks for new records. */
	pollMs?: number;
	leaseMs?: number;
	/** Syslog: how long a connection must stay up after a write for the write to count as delivered. */
	graceMs?: number;
	/** The retention job runs beside forwarding (it must not purge what forwarders still need); false: not here. */
	retention?: boolean;
	/** How often the retention job runs (default hourly). */
	retentionIntervalMs?: number;
}

export interface ForwardingHandle {
	stop(): Promise<void>;
}

/**
 * Starts forwarding on this node: every few seconds it takes (or renews) the lease of each enabled forwarder
 * it can, and runs a worker for each lease it holds. Call from the server's start-up with the node's id. The
 * access-log retention job starts with it (one run per hour across the nodes).
 */
export function startAccessLogForwarding(db: Db, options: ForwardingOptions): ForwardingHandle {
	const opts = { pollMs: 250, leaseMs: 15_000, graceMs: 1000, ...options };
	const workers = new Map<number, Worker>();
	const signal = new Signal();
	const retention =
		opts.retention === false
			? null
			: startAccessLogRetention(db, { nodeId: opts.nodeId, intervalMs: opts.retentionIntervalMs });
	const tick = async () => {
		const rows = await rawQuery<ForwarderRow & { held: boolean }>(
			db,
			`update access_log_forwarders set lease_node = case when enabled and (lease_node = $1 or lease_until is null
					or lease_until < now()) then $1 else lease_node end,
				lease_until = case when enabled and (lease_node = $1 or lease_until is null or lease_until < now())
					then now() + make_interval(secs => $2) else lease_until end
			returning id, name, kind, host, port, url, ca_pem, server_name, token, token_header, headers, facility, max_message_bytes, enabled, updated_at,
				(enabled and lease_node = $1) as held`,
			[opts.nodeId, opts.leaseMs / 1000]
		);
		const held = new Map(rows.filter((r) => r.held).map((r) => [r.id, r]));
		for (const [id, w] of workers) {
			const r = held.get(id);
			if (!r || new Date(r.updated_at).getTime() !== new Date(w.row.updated_at).getTime()) {
				workers.delete(id);
				await w.stop();
			}
		}
		for (const [id, r] of held) if (!workers.has(id)) workers.set(id, new Worker(db, r, opts));
	};
	const loop = (async () => {
		while (!signal.stopped) {
			await tick().catch((e: Error) => {
				if (!signal.stopped) console.error(`Access-log forwarding: ${e.message}`);
			});
			await signal.sleep(Math.min(5000, opts.leaseMs / 3));
		}
	})();
	return {
		stop: async () => {
			signal.stop();
			await retention?.stop();
			await loop;
			await Promise.all([...workers.values()].map((w) => w.stop()));
			workers.clear();
			await rawQuery(db, 'update access_log_forwarders set lease_until = null where lease_node = $1', [
				opts.nodeId
			]).catch(() => {});
		}
	};
}

/** The node id to forward as, inside the running server. */
export function forwardingNodeId(): string {
	return hasRuntime() ? runtime().nodeId : 'local';
}
