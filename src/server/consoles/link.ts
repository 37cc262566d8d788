// The console pipes' events on the agent link (pipe output, state, inventory). Filled in by the consoles work.
import { registerLinkModule } from '../agents/link';

registerLinkModule({ name: 'consoles', events: [], attach() {} });
