import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/**
 * `npm run symbolicate -- path/to/index.mjs.map < trace.txt`: a stack trace from a deployed
 * function (minified bundle, run without --enable-source-maps) rewritten to TypeScript files and
 * lines, with Node's own source-map reader. docs/deploy.md says where to get the map.
 */
const mapPath = process.argv[2];
if (mapPath === undefined || mapPath === '--help') {
  console.error('Usage: npm run symbolicate -- path/to/index.mjs.map < trace.txt');
  process.exit(2);
}
let map: SourceMap;
try {
  map = new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
} catch (error) {
  console.error(`symbolicate: cannot read the source map ${mapPath}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const trace = readFileSync(0, 'utf8');
process.stdout.write(
  trace.replace(/[^\s(]*index\.mjs:(\d+):(\d+)/g, (frame, line: string, column: string) => {
    const origin = map.findOrigin(Number(line), Number(column));
    return 'fileName' in origin ? `${origin.fileName}:${String(origin.lineNumber)}:${String(origin.columnNumber)}` : frame;
  }),
);
