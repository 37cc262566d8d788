// The console form's draft: every kind's fields at once (switching kind keeps what was typed), turned into
// the contract's target and checked with the same schema the server uses, so errors show beside the field.
import {
	consoleName,
	consoleTargetSchema,
	type ConsoleKind,
	type ConsoleTargetInput
} from '$protocol/consoles';

export interface Draft {
	name: string;
	deviceId: number | null;
	/** ssh/telnet: the agent that connects (null: the device's own). */
	agentId: string | null;
	kind: ConsoleKind;
	description: string;
	tags: string;
	persistent: boolean;
	oneWriter: boolean;
	scrollbackKb: number;
	shell: { user: string; command: string; args: string };
	ssh: { host: string; port: number; username: string; hostKeySha256: string };
	telnet: { host: string; port: number };
	serial: {
		path: string;
		baud: number;
		dataBits: 5 | 6 | 7 | 8;
		parity: 'none' | 'even' | 'odd';
		stopBits: 1 | 2;
		flowControl: 'none' | 'rtscts' | 'xonxoff';
	};
}

export const SCROLLBACK_CHOICES_KB = [64, 128, 256, 512, 1024, 2048, 4096] as const;

export function emptyDraft(): Draft {
	return {
		name: '',
		deviceId: null,
		agentId: null,
		kind: 'ssh',
		description: '',
		tags: '',
		persistent: true,
		oneWriter: false,
		scrollbackKb: 256,
		shell: { user: '', command: '', args: '' },
		ssh: { host: '', port: 22, username: '', hostKeySha256: '' },
		telnet: { host: '', port: 23 },
		serial: { path: '/dev/ttyS0', baud: 9600, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' }
	};
}

export interface Editable {
	name: string;
	deviceId: number;
	agentId: string | null;
	description: string;
	tags: string[];
	persistent: boolean;
	oneWriter: boolean;
	scrollbackBytes: number;
	target: ConsoleTargetInput;
}

export function draftFrom(c: Editable): Draft {
	const d = emptyDraft();
	d.name = c.name;
	d.deviceId = c.deviceId;
	d.agentId = c.agentId;
	d.kind = c.target.kind;
	d.description = c.description;
	d.tags = c.tags.join(', ');
	d.persistent = c.persistent;
	d.oneWriter = c.oneWriter;
	d.scrollbackKb = Math.round(c.scrollbackBytes / 1024);
	const t = c.target;
	if (t.kind === 'shell')
		d.shell = { user: t.user ?? '', command: t.command ?? '', args: (t.args ?? []).join('\n') };
	else if (t.kind === 'ssh')
		d.ssh = { host: t.host, port: t.port ?? 22, username: t.username, hostKeySha256: t.hostKeySha256 ?? '' };
	else if (t.kind === 'telnet') d.telnet = { host: t.host, port: t.port ?? 23 };
	else d.serial = { ...d.serial, ...t };
	return d;
}

export function targetOf(d: Draft): ConsoleTargetInput {
	switch (d.kind) {
		case 'shell': {
			const args = d.shell.args.split('\n').filter((a) => a !== '');
			return {
				kind: 'shell',
				...(d.shell.user.trim() ? { user: d.shell.user.trim() } : {}),
				...(d.shell.command.trim() ? { command: d.shell.command.trim() } : {}),
				...(args.length ? { args } : {})
			};
		}
		case 'ssh':
			return {
				kind: 'ssh',
				host: d.ssh.host.trim(),
				port: d.ssh.port,
				username: d.ssh.username.trim(),
				...(d.ssh.hostKeySha256.trim()
					? { hostKeySha256: d.ssh.hostKeySha256.trim().replace(/^SHA256:/, '') }
					: {})
			};
		case 'telnet':
			return { kind: 'telnet', host: d.telnet.host.trim(), port: d.telnet.port };
		case 'serial':
			return { kind: 'serial', ...d.serial };
	}
}

export function tagsOf(d: Draft): string[] {
	return [
		...new Set(
			d.tags
				.split(/[,\s]+/)
				.map((t) => t.trim())
				.filter(Boolean)
		)
	];
}

/** Field errors keyed "name", "deviceId", "target.host" …; empty when the draft can be sent. */
export function validate(d: Draft): Record<string, string> {
	const errors: Record<string, string> = {};
	const n = consoleName.safeParse(d.name);
	if (!n.success) errors.name = n.error.issues[0].message;
	if (d.deviceId === null) errors.deviceId = 'Choose the device this console reaches.';
	const t = consoleTargetSchema.safeParse(targetOf(d));
	if (!t.success)
		for (const i of t.error.issues) {
			const key = `target.${i.path.join('.')}`;
			errors[key] ??= i.message;
		}
	if (!Number.isInteger(d.scrollbackKb) || d.scrollbackKb < 16 || d.scrollbackKb > 16 * 1024)
		errors.scrollbackKb = 'Scrollback is 16 KB to 16 MB.';
	return errors;
}
