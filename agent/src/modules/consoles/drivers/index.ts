import type { ConsoleKind, ConsoleTarget } from '../../../../../src/lib/protocol/consoles';
import { openSerial } from './serial';
import { openShell } from './shell';
import { openSsh } from './ssh';
import { openTelnet } from './telnet';
import type { DriverFactory } from './types';

export const DRIVERS: { [K in ConsoleKind]: DriverFactory<Extract<ConsoleTarget, { kind: K }>> } = {
	shell: openShell,
	ssh: openSsh,
	telnet: openTelnet,
	serial: openSerial
};
