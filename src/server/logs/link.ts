// The log viewer's events on the agent link (file reads, follow, file-watch changes). Filled in by the logs work.
import { registerLinkModule } from '../agents/link';

registerLinkModule({ name: 'logs', events: [], attach() {} });
