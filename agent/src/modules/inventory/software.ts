// Installed software from the platform's package manager: dpkg on Debian and its derivatives, rpm on Red Hat,
// SUSE and their kin. Each is run directly (never through a shell), bounded in time and output.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Inventory } from '../../../../src/lib/protocol/inventory';
import { clean, publisherName } from './normalise';

type Software = Inventory['software'][number];

const DPKG_FORMAT =
	'${binary:Package}\\t${Version}\\t${Maintainer}\\t${Installed-Size}\\t${db:Status-Status}\\n';
const RPM_FORMAT =
	'%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{SIZE}\\t%{INSTALLTIME}\\n';
const MAX_OUTPUT = 64 * 1024 * 1024;

/** `dpkg-query -W -f DPKG_FORMAT` → installed packages (half-installed and removed ones are left out). */
export function parseDpkg(out: string): Software[] {
	const list: Software[] = [];
	for (const line of out.split('\n')) {
		const [name, version, maintainer, size, status] = line.split('\t');
		if (!name || status?.trim() !== 'installed') continue;
		const kb = Number(size);
		const n = clean(name);
		if (!n) continue;
		list.push({
			name: n,
			publisher: publisherName(maintainer),
			version: clean(version, 128),
			installDate: null,
			sizeKb: Number.isSafeInteger(kb) && kb >= 0 ? kb : null
		});
	}
	return list;
}

/** `rpm -qa --qf RPM_FORMAT` → packages; gpg-pubkey entries are keys, not software. */
export function parseRpm(out: string): Software[] {
	const list: Software[] = [];
	for (const line of out.split('\n')) {
		const [name, version, vendor, size, installTime] = line.split('\t');
		const n = clean(name);
		if (!n || n === 'gpg-pubkey') continue;
		const bytes = Number(size);
		const t = Number(installTime);
		list.push({
			name: n,
			publisher: vendor === '(none)' ? null : publisherName(vendor),
			version: clean(version, 128),
			installDate: Number.isFinite(t) && t > 0 ? new Date(t * 1000).toISOString().slice(0, 10) : null,
			sizeKb: Number.isFinite(bytes) && bytes >= 0 ? Math.round(bytes / 1024) : null
		});
	}
	return list;
}

function run(cmd: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile(
			cmd,
			args,
			{
				timeout: timeoutMs,
				maxBuffer: MAX_OUTPUT,
				signal,
				env: { ...process.env, LC_ALL: 'C' },
				windowsHide: true
			},
			(err, stdout) => (err ? reject(err) : resolve(stdout))
		);
	});
}

/**
 * dpkg keeps no install date; the package's file list is rewritten when it is installed or upgraded, so its
 * modification time is when this version arrived (what the GLPI and OCS agents report too).
 */
async function dpkgInstallDates(list: Software[], infoDir = '/var/lib/dpkg/info'): Promise<void> {
	const BATCH = 64;
	for (let i = 0; i < list.length; i += BATCH)
		await Promise.all(
			list.slice(i, i + BATCH).map(async (s) => {
				try {
					const st = await stat(path.join(infoDir, `${s.name}.list`));
					s.installDate = st.mtime.toISOString().slice(0, 10);
				} catch {
					// no file list: the date stays unknown
				}
			})
		);
}

/**
 * The installed software, or null when this host has no package manager we read (or it failed): null means
 * "unknown", so the server leaves the host's software as it was rather than removing it all.
 */
export async function collectSoftware(timeoutMs: number, signal?: AbortSignal): Promise<Software[] | null> {
	if (process.platform !== 'linux') return null;
	try {
		const list = parseDpkg(await run('dpkg-query', ['-W', '-f', DPKG_FORMAT], timeoutMs, signal));
		if (list.length) {
			await dpkgInstallDates(list);
			return list;
		}
	} catch {
		// not a dpkg system, or dpkg failed: try rpm
	}
	try {
		const list = parseRpm(await run('rpm', ['-qa', '--qf', RPM_FORMAT], timeoutMs, signal));
		return list.length ? list : null;
	} catch {
		return null;
	}
}
