// Builds the console's browser files into dist/cli/console/web (run by `npm run build`): esbuild
// bundles the Lit components of cli/console/web/main.ts into one ES module, console.js; the page,
// its stylesheet and icon are copied beside it. The result is a build artefact like the rest of
// dist/ and is not committed (docs/console.md, "How it is built").
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'cli/console/web');
const output = join(root, 'dist/cli/console/web');

await mkdir(output, { recursive: true });
const result = await build({
  entryPoints: [join(source, 'main.ts')],
  outfile: join(output, 'console.js'),
  tsconfig: join(source, 'tsconfig.json'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers of the last few years: custom elements, shadow DOM, adoptedStyleSheets, dialog.
  target: ['chrome111', 'firefox113', 'safari16.4'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});
for (const file of ['index.html', 'console.css', 'favicon.svg'])
  await copyFile(join(source, file), join(output, file));
const bytes = Object.values(result.metafile.outputs).reduce((sum, entry) => sum + entry.bytes, 0);
process.stderr.write(`console: ${output} (${Math.round(bytes / 1024)} KiB)\n`);
