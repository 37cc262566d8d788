// The agent's modules, started in this order by `fleetdesk-agent run`.
import type { AgentModule } from './types';
import { tasksModule } from './tasks';
import { metricsModule } from './metrics';
import { inventoryModule } from './inventory';
import { filesModule } from './files';
import { consolesModule } from './consoles';

export const MODULES: AgentModule[] = [
	tasksModule,
	metricsModule,
	inventoryModule,
	consolesModule,
	filesModule
];
