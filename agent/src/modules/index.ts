// The agent's modules, started in this order by `fleetdesk-agent run`.
import type { AgentModule } from './types';
import { tasksModule } from './tasks';
import { metricsModule } from './metrics';
import { inventoryModule } from './inventory';

export const MODULES: AgentModule[] = [tasksModule, metricsModule, inventoryModule];
