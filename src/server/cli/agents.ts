// `fleetdesk token …` and `fleetdesk agent …`: join tokens and enrolled agents, on the same domain code as
// the desktop. Runs in the CLI process (PostgreSQL, or PGlite with no server running) or inside the server.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { ZodError } from 'zod';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import { deviceGroups } from '../db/schema';
import { UserError } from '../errors';
import { readableZodError } from '../trpc/trpc';
import { runtime } from '../runtime';
import { createJoinToken, listJoinTokens, parseTtl, revokeJoinToken } from '../agents/tokens';
import { listAgents, requestCertRenewal, revokeAgent } from '../agents/registry';
import type { CliResult } from './commands';

export const AGENTS_USAGE = `  token create --group GROUP --ttl 1h [--uses N] [--note TEXT]
                                 create a join token for enrolling agents into device group GROUP; it is
                                 printed once, expires after --ttl (30m, 1h, 2d) and allows N enrolments (1)
  token list                     list join tokens and their state (never the secret)
  token revoke ID                stop a join token from enrolling anything more
  agent list                     list enrolled agents, online or not
  agent revoke ID                revoke an agent: disconnected within a second and refused from then on
  agent renew ID                 ask an agent for a new certificate (new key pair) now; it renews on its
                                 own when a third of its certificate's life is left`;

const OPTIONS = {
	group: { type: 'string' },
	ttl: { type: 'string' },
	uses: { type: 'string' },
	note: { type: 'string' }
} as const;

function table(rows: string[][]): string {
	const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
	return (
		rows
			.map((r) =>
				r
					.map((c, i) => (c ?? '').padEnd(widths[i]))
					.join('  ')
					.trimEnd()
			)
			.join('\n') + '\n'
	);
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

export async function runAgentsCommand(db: Db, actor: Actor, argv: string[]): Promise<CliResult> {
	try {
		const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
		const [noun, verb, arg] = positionals;
		const out: string[] = [];
		switch (`${noun} ${verb ?? ''}`.trim()) {
			case 'token create': {
				if (!values.group)
					throw new UserError('Name the device group: `fleetdesk token create --group GROUP --ttl 1h`.');
				if (!values.ttl) throw new UserError('Say how long the token is valid, e.g. `--ttl 1h`.');
				const [g] = await db.select().from(deviceGroups).where(eq(deviceGroups.name, values.group));
				if (!g) throw new UserError(`There is no device group named "${values.group}".`, 'NOT_FOUND');
				const uses = values.uses === undefined ? 1 : Number(values.uses);
				if (!Number.isInteger(uses)) throw new UserError('--uses must be a whole number.');
				const t = await createJoinToken(db, runtime().config, actor, {
					groupId: g.id,
					ttlSeconds: parseTtl(values.ttl),
					uses,
					note: values.note ?? ''
				});
				out.push(
					`Join token ${t.id} for group ${t.groupName}: ${t.usesAllowed} enrolment${t.usesAllowed === 1 ? '' : 's'}, ` +
						`valid until ${iso(t.expiresAt)}. It is shown only this once:\n\n    ${t.token}\n\n` +
						`Enrol a host with:  fleetdesk-agent enroll --server https://THIS-SERVER:${runtime().config.agent.port ?? 8443} --token ${t.token}\n`
				);
				break;
			}
			case 'token list': {
				const rows = [['ID', 'GROUP', 'STATE', 'USED', 'EXPIRES', 'CREATED BY', 'NOTE']];
				for (const t of await listJoinTokens(db))
					rows.push([
						t.id,
						t.groupName,
						t.state,
						`${t.usesCount}/${t.usesAllowed}`,
						iso(t.expiresAt),
						t.createdBy,
						t.note
					]);
				out.push(table(rows));
				break;
			}
			case 'token revoke': {
				if (!arg)
					throw new UserError('Name the token: `fleetdesk token revoke ID` (see `fleetdesk token list`).');
				await revokeJoinToken(db, actor, arg);
				out.push(`Revoked join token ${arg}.\n`);
				break;
			}
			case 'agent list': {
				const rows = [['ID', 'HOST', 'DEVICE', 'STATE', 'LAST SEEN', 'VERSION', 'CERT UNTIL']];
				for (const a of await listAgents(db))
					rows.push([
						a.id,
						a.hostname,
						a.deviceName ?? '-',
						a.revokedAt ? 'revoked' : a.online ? `online (${a.connectedNode})` : 'offline',
						iso(a.lastSeenAt),
						a.agentVersion || '-',
						iso(a.certNotAfter)
					]);
				out.push(table(rows));
				break;
			}
			case 'agent revoke': {
				if (!arg)
					throw new UserError('Name the agent: `fleetdesk agent revoke ID` (see `fleetdesk agent list`).');
				const a = await revokeAgent(db, actor, arg);
				out.push(
					`Revoked agent ${a.id} (${a.hostname}): it is disconnected and will be refused from now on.\n`
				);
				break;
			}
			case 'agent renew': {
				if (!arg)
					throw new UserError('Name the agent: `fleetdesk agent renew ID` (see `fleetdesk agent list`).');
				const a = await requestCertRenewal(db, actor, arg);
				out.push(
					`Asked agent ${a.id} (${a.hostname}) for a new certificate: it renews now if online, else when it next connects.\n`
				);
				break;
			}
			default:
				return {
					code: 2,
					stdout: '',
					stderr: `Unknown command "${positionals.join(' ')}".\n\n${AGENTS_USAGE}\n`
				};
		}
		return { code: 0, stdout: out.join(''), stderr: '' };
	} catch (e) {
		if (e instanceof UserError) return { code: 1, stdout: '', stderr: `${e.message}\n` };
		if (e instanceof ZodError) return { code: 1, stdout: '', stderr: `${readableZodError(e)}\n` };
		if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
			return { code: 2, stdout: '', stderr: `${e.message}\n\n${AGENTS_USAGE}\n` };
		throw e;
	}
}
