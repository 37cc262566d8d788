import { describe, expect, it } from 'vitest';
import { groupHits, type AccessHit } from './search';

const hit = (deviceName: string, at: string, line: number): AccessHit => ({
	deviceId: 1,
	deviceName,
	consoleId: 1,
	consoleName: 'c',
	line,
	at,
	text: 'x'
});

describe('access-log search results', () => {
	it('groups by device, then by hour newest first, hits in time order within an hour', () => {
		const g = groupHits([
			hit('web2', '2025-01-01T10:15:00.000Z', 7),
			hit('db1', '2025-01-01T09:59:00.000Z', 3),
			hit('web2', '2025-01-01T11:01:00.000Z', 9),
			hit('web2', '2025-01-01T10:05:00.000Z', 5)
		]);
		expect(g.map((d) => [d.device, d.count])).toEqual([
			['db1', 1],
			['web2', 3]
		]);
		expect(g[1].hours.map((h) => [h.hour, h.hits.map((x) => x.line)])).toEqual([
			['2025-01-01T11', [9]],
			['2025-01-01T10', [5, 7]]
		]);
	});
});
