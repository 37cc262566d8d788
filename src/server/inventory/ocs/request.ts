// The OCS request envelope: <REQUEST><QUERY>…</QUERY><DEVICEID>…</DEVICEID>[<CONTENT>…</CONTENT>]</REQUEST>.
import { OcsRefused } from './errors';
import { child, record, type OcsRecord, type XmlElement } from './xml';

/** Sections of an INVENTORY's CONTENT: name → its entries (HARDWARE and BIOS have one, SOFTWARES many). */
export type OcsContent = Map<string, OcsRecord[]>;

export type OcsRequest =
	{ query: 'PROLOG'; deviceId: string } | { query: 'INVENTORY'; deviceId: string; content: OcsContent };

/**
 * The agent's DEVICEID is its host name and the time it was first run, e.g. "web01-2026-01-31-09-15-02";
 * OCS servers refuse anything else (Apache::Ocsinventory::Server::System::_check_deviceid).
 */
export const DEVICE_ID = /^[^\s<>&"'\\/]{1,200}-\d{4}(?:-\d{2}){5}$/;

/** Queries a full OCS server knows but Fleetdesk does not serve. */
const OTHER_QUERIES = new Set(['UPDATE', 'SYSTEM', 'DOWNLOAD', 'FILE', 'SNMP', 'IPDISCOVER', 'WOL']);

function refuse(message: string, reason: string): OcsRefused {
	return new OcsRefused(400, message, reason);
}

export function parseRequest(root: XmlElement): OcsRequest {
	if (root.name !== 'REQUEST')
		throw refuse(
			`The XML's root element is <${root.name.slice(0, 40)}>; an OCS request is a <REQUEST>.`,
			'not an OCS request'
		);
	const query = child(root, 'QUERY')?.text.trim() ?? '';
	if (!query) throw refuse('The OCS request has no <QUERY>.', 'no query');
	const deviceId =
		child(root, 'DEVICEID')?.text.trim() ||
		child(child(root, 'CONTENT') ?? root, 'DEVICEID')?.text.trim() ||
		'';
	if (!DEVICE_ID.test(deviceId))
		throw refuse(
			deviceId
				? `The DEVICEID "${deviceId.slice(0, 60)}" is not an OCS device id (host name, then -YYYY-MM-DD-hh-mm-ss).`
				: 'The OCS request has no <DEVICEID>.',
			'bad deviceid'
		);
	if (query === 'PROLOG') return { query, deviceId };
	if (query === 'INVENTORY') {
		const contentEl = child(root, 'CONTENT');
		if (!contentEl) throw refuse('The INVENTORY request has no <CONTENT>.', 'no content');
		const content: OcsContent = new Map();
		for (const section of contentEl.children) {
			const list = content.get(section.name) ?? [];
			list.push(record(section));
			content.set(section.name, list);
		}
		if (!content.get('HARDWARE')?.[0]?.NAME)
			throw refuse('The INVENTORY has no <HARDWARE><NAME> (the host name); it was refused.', 'no hostname');
		return { query, deviceId, content };
	}
	throw refuse(
		OTHER_QUERIES.has(query)
			? `The OCS query ${query} is not served here: Fleetdesk takes PROLOG and INVENTORY only.`
			: `Unknown OCS query "${query.slice(0, 40)}": Fleetdesk takes PROLOG and INVENTORY.`,
		'unsupported query'
	);
}
