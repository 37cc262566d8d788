// One forwarder's sending loop on the node that holds its lease: follows every console's chain from the
// stored cursor, sends in order, and moves the cursor once a batch counts as delivered.
import type { Db } from '../../db/client';
import { unseal } from '../../agents/secret';
import { sealingKey } from '../key';
import { rawQuery } from '../raw';
import type { ForwardRecord } from './format';
import { makeSender, type ForwarderTarget, type Sender } from './senders';
import { Signal } from './signal';

export interface ForwarderRow {
	id: number;
	name: string;
	kind: ForwarderTarget['kind'];
	host: string | null;
	port: number | null;
	url: string | null;
	ca_pem: string | null;
	server_name: string | null;
	token: { keyId: string; sealed: string } | null;
	token_header: string | null;
	headers: { name: string; value: string }[] | null;
	facility: number;
	max_message_bytes: number;
	enabled: boolean;
	updated_at: Date | string;
}

type Num = string | number;
const RECORDS_PER_SEND = 500;
const BYTES_PER_SEND = 2 * 1024 * 1024;

export function tokenLabel(id: number): string {
	return `access-log forwarder ${id} token`;
}

export interface WorkerOptions {
	nodeId: string;
	pollMs: number;
	graceMs: number;
}

export class Worker {
	readonly signal = new Signal();
	private done: Promise<void>;
	private sender: Sender | null = null;
	/** Sent and not yet counted as delivered, per console: [seq, sentAt] in order. */
	private inflight = new Map<number, [number, number][]>();
	/** Whether the row says connected (connected_since set) as far as this worker last wrote it. */
	private connected = false;

	constructor(
		private readonly db: Db,
		readonly row: ForwarderRow,
		private readonly opts: WorkerOptions
	) {
		this.done = this.run();
	}

	async stop(): Promise<void> {
		this.signal.stop();
		this.sender?.close();
		await this.done;
		await rawQuery(
			this.db,
			`update access_log_forwarders set connected_since = null
			where id = $1 and (lease_node = $2 or lease_node is null)`,
			[this.row.id, this.opts.nodeId]
		).catch(() => {});
	}

	/** Notes in the row that the endpoint is reachable (shown as "connected"). */
	private async markConnected(): Promise<void> {
		if (this.connected) return;
		await rawQuery(
			this.db,
			'update access_log_forwarders set connected_since = now(), last_error = null where id = $1',
			[this.row.id]
		);
		this.connected = true;
	}

	private target(): ForwarderTarget {
		const r = this.row;
		let token: string | null = null;
		if (r.token) {
			token = unseal(sealingKey(), r.token.sealed, tokenLabel(r.id), r.token.keyId).toString('utf8');
		}
		return {
			kind: r.kind,
			host: r.host,
			port: r.port,
			url: r.url,
			caPem: r.ca_pem,
			serverName: r.server_name,
			token,
			tokenHeader: r.token_header,
			headers: r.headers ?? [],
			facility: r.facility,
			maxMessageBytes: r.max_message_bytes
		};
	}

	private async run(): Promise<void> {
		let backoff = 500;
		while (!this.signal.stopped) {
			try {
				const broken = this.sender?.failure();
				if (broken) throw broken;
				if (!this.sender) {
					this.sender = makeSender(this.target());
					await this.sender.open();
					if (this.row.kind !== 'https') await this.markConnected();
				}
				const sent = await this.step();
				if (sent && this.row.kind === 'https') await this.markConnected();
				await this.confirm();
				backoff = 500;
				if (!sent) await this.signal.sleep(this.opts.pollMs);
			} catch (e) {
				if (this.signal.stopped) break;
				this.sender?.close();
				this.sender = null;
				// Whatever was not confirmed goes again from the stored cursor.
				this.inflight.clear();
				await this.note(`${(e as Error).message}`);
				await this.signal.sleep(backoff);
				backoff = Math.min(30_000, backoff * 2);
			}
		}
		if (!this.signal.stopped) return;
		// Stopping: what was delivered long enough ago still moves the cursor.
		await this.confirm().catch(() => {});
	}

	private async note(error: string): Promise<void> {
		this.connected = false;
		await rawQuery(
			this.db,
			`update access_log_forwarders set last_error = $2, last_error_at = now(), connected_since = null
			where id = $1`,
			[this.row.id, error.slice(0, 500)]
		).catch(() => {});
	}

	/** Sends the next records of every console that has some; false when there was nothing to send. */
	private async step(): Promise<boolean> {
		const behind = await rawQuery<{
			console_id: number;
			cursor: Num;
			console_name: string | null;
			device_name: string | null;
		}>(
			this.db,
			`select h.console_id, coalesce(c.seq, h.first_seq - 1) as cursor, k.name as console_name, d.name as device_name
			from access_log_heads h
			left join access_log_forward_cursors c on c.forwarder_id = $1 and c.console_id = h.console_id
			left join consoles k on k.id = h.console_id
			left join devices d on d.id = h.device_id
			where h.last_seq > coalesce(c.seq, h.first_seq - 1)
			order by h.console_id`,
			[this.row.id]
		);
		let sent = false;
		for (const b of behind) {
			if (this.signal.stopped) break;
			const flight = this.inflight.get(b.console_id);
			const after = Math.max(Number(b.cursor), flight?.length ? flight[flight.length - 1][0] : 0);
			const rows = await rawQuery<{
				seq: Num;
				at: Date | string;
				kind: ForwardRecord['kind'];
				device_id: number | null;
				user_id: number | null;
				username: string | null;
				pipe_id: string | null;
				agent_seq: Num | null;
				data: Uint8Array;
				hash: Uint8Array;
				prev_hash: Uint8Array;
			}>(
				this.db,
				`select seq, at, kind, device_id, user_id, username, pipe_id, agent_seq, data, hash, prev_hash
				from access_log_records where console_id = $1 and seq > $2 order by seq limit ${RECORDS_PER_SEND}`,
				[b.console_id, after]
			);
			if (!rows.length) continue;
			const records: ForwardRecord[] = [];
			let bytes = 0;
			for (const r of rows) {
				if (records.length && bytes + r.data.byteLength > BYTES_PER_SEND) break;
				bytes += r.data.byteLength;
				records.push({
					consoleId: b.console_id,
					consoleName: b.console_name ?? `console-${b.console_id}`,
					deviceId: r.device_id,
					deviceName: b.device_name,
					seq: Number(r.seq),
					at: new Date(r.at),
					kind: r.kind,
					userId: r.user_id,
					username: r.username,
					pipeId: r.pipe_id,
					agentSeq: r.agent_seq === null ? null : Number(r.agent_seq),
					data: r.data,
					hash: r.hash,
					prevHash: r.prev_hash
				});
			}
			await this.sender!.send(records);
			const list = flight ?? [];
			list.push([records[records.length - 1].seq, Date.now()]);
			this.inflight.set(b.console_id, list);
			sent = true;
		}
		return sent;
	}

	/** Moves the stored cursors past what counts as delivered (only while this node holds the lease). */
	private async confirm(): Promise<void> {
		if (!this.sender?.healthy()) return;
		const grace = this.row.kind === 'https' ? 0 : this.opts.graceMs;
		const cutoff = Date.now() - grace;
		let n = 0;
		for (const [consoleId, list] of this.inflight) {
			let seq = 0;
			while (list.length && list[0][1] <= cutoff) seq = list.shift()![0];
			if (!list.length) this.inflight.delete(consoleId);
			if (!seq) continue;
			const moved = await rawQuery<{ before: Num | null }>(
				this.db,
				`with old as (select seq from access_log_forward_cursors where forwarder_id = $1 and console_id = $2)
				insert into access_log_forward_cursors (forwarder_id, console_id, seq)
				select $1, $2, $3 where exists (select 1 from access_log_forwarders where id = $1 and lease_node = $4)
				on conflict (forwarder_id, console_id) do update set seq = greatest(access_log_forward_cursors.seq, excluded.seq)
				returning (select seq from old) as before`,
				[this.row.id, consoleId, seq, this.opts.nodeId]
			);
			if (moved.length) n += seq - Number(moved[0].before ?? 0);
		}
		if (n)
			await rawQuery(
				this.db,
				`update access_log_forwarders set last_sent_at = now(), sent_records = sent_records + $2, last_error = null
				where id = $1`,
				[this.row.id, n]
			);
	}
}
