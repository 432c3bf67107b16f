// Every check in one command: types (the app, and shared/ on its own with no DOM or Node
// types), then every vitest test. Ends with the line "N passed, N failed" and exits
// non-zero if anything failed or nothing ran. Extra arguments go to vitest as filters.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
const bin = (name) => `node_modules/.bin/${name}`;
let passed = 0;
let failed = 0;

for (const [label, project] of [
  ['types: app', 'tsconfig.json'],
  ['types: shared (pure)', 'shared/tsconfig.json'],
  ['types: client (browser)', 'client/tsconfig.json'],
]) {
  const result = spawnSync(bin('tsc'), ['-p', project, '--noEmit'], { stdio: 'inherit' });
  if (result.status === 0) {
    passed++;
    console.log(`✓ ${label}`);
  } else {
    failed++;
    console.log(`✗ ${label}`);
  }
}

rmSync(report, { force: true });
spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  // A test file that fails to load has no failed tests of its own: count it once.
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) failed++;
  }
  const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  if (skipped > 0) console.log(`${skipped} tests skipped or todo`);
} else {
  console.log('vitest wrote no report');
  failed++;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
