import { writeFileSync } from 'node:fs';
import { openApiText } from '../shared/http/openapi.ts';

/** `npm run openapi`: regenerates docs/openapi.json from the route schemas. */
const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, openApiText());
console.log(`wrote ${target.pathname}`);
